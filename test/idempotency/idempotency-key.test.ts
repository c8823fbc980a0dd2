/** Trust suite: idempotency. Each test names the protection it proves; removing it makes the test fail. */
import { describe, expect, it } from "vitest";
import { call, chat, createKey, eventually } from "../helpers/guard";
import { today, ledger, hello, setup, restoreAfterEach } from "../helpers/traffic";

restoreAfterEach();

describe("idempotency", () => {
  it("a retry with the same Idempotency-Key is answered from the first call, charged once", async () => {
    const { t, key } = await setup();
    const headers = { "idempotency-key": "retry-me-1", "x-mock-output-tokens": "12" };
    const first = await chat(key, { model: "mock-small", ...hello, max_tokens: 50 }, headers);
    expect(first.status).toBe(200);
    const firstBody = await first.text();
    await eventually(async () => expect((await ledger(t).counter("tenant", today())).reserved).toBe(0));
    const spent = (await ledger(t).counter("tenant", today())).spent;
    const retry = await chat(key, { model: "mock-small", ...hello, max_tokens: 50 }, headers);
    expect(retry.status).toBe(200);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(await retry.text()).toBe(firstBody);
    expect(await ledger(t).counter("tenant", today())).toEqual({ spent, reserved: 0, requests: 1 });
  });

  it("a concurrent duplicate is refused while the first runs", async () => {
    const { key } = await setup();
    const headers = { "idempotency-key": "dup-2", "x-mock-latency-ms": "200" };
    const [a, b] = await Promise.all([
      chat(key, { model: "mock-small", ...hello, max_tokens: 10 }, headers),
      chat(key, { model: "mock-small", ...hello, max_tokens: 10 }, headers),
    ]);
    expect([a.status, b.status].sort()).toEqual([200, 409]);
  });

  it("a retry after an upstream failure runs again (nothing was spent)", async () => {
    const { t, key } = await setup();
    const failed = await chat(key, { model: "mock-small", ...hello, max_tokens: 10 }, { "idempotency-key": "k3", "x-mock-fail": "500" });
    expect(failed.status).toBe(500);
    await eventually(async () => expect((await ledger(t).counter("tenant", today())).reserved).toBe(0));
    const ok = await chat(key, { model: "mock-small", ...hello, max_tokens: 10 }, { "idempotency-key": "k3" });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("idempotent-replayed")).toBeNull();
  });

  it("the same key from another guard key is a different request", async () => {
    const { t, key } = await setup();
    const other = await createKey(t, { name: "k2", role: "user", userId: "u2" });
    expect((await chat(key, { model: "mock-small", ...hello, max_tokens: 10 }, { "idempotency-key": "shared" })).status).toBe(200);
    const res = await chat(other, { model: "mock-small", ...hello, max_tokens: 10 }, { "idempotency-key": "shared" });
    expect(res.status).toBe(200);
    expect(res.headers.get("idempotent-replayed")).toBeNull();
  });
});
