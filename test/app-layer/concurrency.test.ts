/**
 * The reservation guarantee through the application layer: 50 concurrent
 * holds against a limit that fits 5 are decided in the tenant's object one
 * at a time, so at most 5 are granted and what is committed never exceeds
 * the limit — alone, and mixed with proxied calls on the same budget.
 */
import { describe, expect, it } from "vitest";
import { chat, createKey, createTenant, eventually } from "../helpers/guard";
import { hello, ledger, today } from "../helpers/traffic";
import { commitApi, reserveApi } from "../helpers/app-layer";

describe("50 concurrent reservations", () => {
  it("never grant more than the limit holds, and never commit more than the limit", async () => {
    const t = await createTenant({ limits: { daily: 0.05 } });
    const key = await createKey(t, { name: "burst", role: "user", userId: "u" });
    const results = await Promise.all(Array.from({ length: 50 }, () => reserveApi(key, { amountUsd: 0.01 })));
    const statuses = results.map((r) => r.status);
    expect(statuses.every((s) => s === 201 || s === 429 || s === 402)).toBe(true);
    const granted = results.filter((r) => r.status === 201);
    expect(granted).toHaveLength(5);
    const commits = await Promise.all(granted.map((r) => commitApi(key, r.body.id, { costUsd: 0.01 })));
    expect(commits.every((c) => c.status === 200)).toBe(true);
    const c = await ledger(t).counter("tenant", today());
    expect(c.spent).toBeLessThanOrEqual(50_000);
    expect(c).toEqual({ spent: 50_000, reserved: 0, requests: 5 });
  });

  it("share one budget with proxied calls: together they never exceed it", async () => {
    // Each chat call reserves its full cap (~20 input + 1000 output at $0.60/M ≈ $0.0006).
    const t = await createTenant({ limits: { daily: 0.005 }, minOutputTokens: 1000 });
    const key = await createKey(t, { name: "mixed", role: "user", userId: "u" });
    const calls = Array.from({ length: 50 }, (_, i) =>
      i % 2 === 0
        ? reserveApi(key, { amountUsd: 0.0006 }).then(async (r) => (r.status === 201 ? (await commitApi(key, r.body.id, { costUsd: 0.0006 })).status : r.status))
        : chat(key, { model: "mock-small", ...hello, max_tokens: 1000 }).then((r) => r.status),
    );
    const statuses = await Promise.all(calls);
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(1);
    await eventually(async () => {
      const c = await ledger(t).counter("tenant", today());
      expect(c.reserved).toBe(0);
      expect(c.spent).toBeLessThanOrEqual(5_000);
    });
  });
});
