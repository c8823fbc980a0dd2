/** Trust suite: forged keys. Each test names the protection it proves; removing it makes the test fail. */
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import type { TenantLedger } from "../../src/ledger/tenant-ledger";
import * as inputs from "../../src/tokens/inputs";
import { chat, mockUpstream } from "../helpers/guard";
import { ledger, hello, post, restoreAfterEach, setup, withEnv } from "../helpers/traffic";

// Counts every estimate the guard runs (fast and exact tiers), without changing what they return.
vi.mock("../../src/tokens/inputs", async (original) => {
  const real = await original<typeof import("../../src/tokens/inputs")>();
  return { ...real, fastInputTokens: vi.fn(real.fastInputTokens), exactInputTokens: vi.fn(real.exactInputTokens) };
});

restoreAfterEach();

describe("forged keys", () => {
  it("a key naming a tenant that does not exist leaves no storage behind", async () => {
    const name = `ghost-${Date.now().toString(36)}`;
    for (let i = 0; i < 3; i++)
      expect((await chat(`bg_${name}_${"Q".repeat(32)}`, { model: "mock-small", ...hello, max_tokens: 5 })).status).toBe(401);
    const tables = await runInDurableObject(ledger(name), (_i: TenantLedger, s) =>
      s.storage.sql.exec(`SELECT name FROM sqlite_master WHERE type = 'table'`).toArray(),
    );
    expect(tables).toEqual([]);
  });

  it("a forged key with a 5 MB adversarial body gets a 401 before any token estimate runs", async () => {
    const { t } = await setup();
    const upstream = mockUpstream(() => Response.json({}));
    vi.mocked(inputs.fastInputTokens).mockClear();
    vi.mocked(inputs.exactInputTokens).mockClear();
    // Byte-order marks and digits in one 5 MB string: the kind of text that once hung the estimator.
    const adversarial = "\ufeff1a".repeat(1_000_000);
    const { path, ...init } = post(`bg_${t}_${"Z".repeat(32)}`, { model: "mock-small", messages: [{ role: "user", content: adversarial }] });
    const res = await withEnv({}, path, init);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { code: "invalid_api_key" } });
    expect(inputs.fastInputTokens).not.toHaveBeenCalled();
    expect(inputs.exactInputTokens).not.toHaveBeenCalled();
    expect(upstream.calls).toHaveLength(0);
    upstream.restore();
  });

  it("a valid key with a large body is estimated and served (the auth-first check lets it through)", async () => {
    const { key } = await setup();
    const usage = { prompt_tokens: 15_000, completion_tokens: 1 };
    const upstream = mockUpstream(() => Response.json({ id: "x", object: "chat.completion", choices: [], usage }));
    vi.mocked(inputs.fastInputTokens).mockClear();
    const { path, ...init } = post(key, { model: "gpt-4o-mini", messages: [{ role: "user", content: "word ".repeat(14_000) }], max_tokens: 5 });
    const res = await withEnv({}, path, init);
    expect(res.status).toBe(200);
    expect(inputs.fastInputTokens).toHaveBeenCalledTimes(1);
    expect(upstream.calls).toHaveLength(1);
    upstream.restore();
  });
});
