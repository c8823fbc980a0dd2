/** Trust suite: brute force. Each test names the protection it proves; removing it makes the test fail. */
import { describe, expect, it } from "vitest";
import { chat } from "../helpers/guard";
import { hello, setup, restoreAfterEach } from "../helpers/traffic";

restoreAfterEach();

describe("brute force", () => {
  it("repeated failures on one tenant prefix are refused; valid keys still work", async () => {
    const { t, key } = await setup();
    const statuses: number[] = [];
    for (let i = 0; i < 25; i++) {
      const forged = `bg_${t}_${String(i).padStart(32, "Z")}`;
      statuses.push((await chat(forged, { model: "mock-small", ...hello, max_tokens: 5 })).status);
    }
    expect(statuses.slice(0, 20).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(21)).toEqual([429, 429, 429, 429]);
    const refused = await chat(`bg_${t}_${"Y".repeat(32)}`, { model: "mock-small", ...hello, max_tokens: 5 });
    expect(await refused.json()).toMatchObject({ error: { code: "too_many_auth_failures" } });
    expect(refused.headers.get("retry-after")).toBe("60");
    expect((await chat(key, { model: "mock-small", ...hello, max_tokens: 5 })).status).toBe(200);
    // Other tenants are unaffected: the count lives in each tenant's own object, no global hot spot.
    const other = await setup();
    expect((await chat(other.key, { model: "mock-small", ...hello, max_tokens: 5 })).status).toBe(200);
  });
});
