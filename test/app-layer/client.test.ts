/**
 * The TypeScript client (`budget-guard/client`) against the worker, with the
 * worker's own fetch: reserve, commit, release, withBudget (commit on
 * success, release on throw, a block before the function runs), budget(),
 * recordUsage() and its errors.
 */
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { BudgetExceededError, BudgetGuard, BudgetGuardError } from "budget-guard/client";
import { BASE, createKey, createTenant } from "../helpers/guard";
import { ledger, today, ZERO } from "../helpers/traffic";

const workerFetch: typeof fetch = (input, init) => exports.default.fetch(new Request(input, init));

async function client(config: Record<string, unknown> = { limits: { daily: 1 } }, fetchImpl: typeof fetch = workerFetch) {
  const t = await createTenant(config);
  const key = await createKey(t, { name: "app", role: "user", userId: "u" });
  return { t, guard: new BudgetGuard({ baseUrl: `${BASE}/`, key, fetch: fetchImpl, retryDelayMs: 0 }) };
}

describe("BudgetGuard", () => {
  it("reserves, commits and releases", async () => {
    const { t, guard } = await client();
    const hold = await guard.reserve({ amountUsd: 0.1 }, { ttlSeconds: 60, feature: "images", metadata: { job: "7" } });
    expect(hold).toMatchObject({ amountUsd: 0.1, user: "u", feature: "images", metadata: { job: "7" } });
    const done = await guard.commit(hold, { costUsd: 0.04 });
    expect(done).toMatchObject({ costUsd: 0.04, overReserved: false });
    const other = await guard.reserve({ model: "mock-small", inputTokens: 1000, maxOutputTokens: 1000 });
    expect(other).toMatchObject({ model: "mock-small", maxOutputTokens: 1000, amountUsd: 0.00075 });
    expect(await guard.release(other.id)).toMatchObject({ state: "released" });
    expect(await ledger(t).counter("tenant", today())).toEqual({ spent: 40_000, reserved: 0, requests: 1 });
  });

  it("withBudget commits what the function reports and resolves its value", async () => {
    const { t, guard } = await client();
    const value = await guard.withBudget({ model: "mock-large", inputTokens: 1000, maxOutputTokens: 1000 }, async (hold) => {
      expect(hold.model).toBe("mock-large");
      return { value: "an answer", usage: { model: hold.model!, inputTokens: 1000, outputTokens: 100 } };
    });
    expect(value).toBe("an answer");
    // 1000 × $2.50/M + 100 × $10/M.
    expect(await ledger(t).counter("tenant", today())).toEqual({ spent: 3500, reserved: 0, requests: 1 });
    expect(await guard.withBudget({ amountUsd: 0.01 }, async () => ({ value: 1, costUsd: 0.002 }))).toBe(1);
    expect((await ledger(t).counter("tenant", today())).spent).toBe(5500);
  });

  it("withBudget releases the hold when the function throws, and rethrows its error", async () => {
    const { t, guard } = await client();
    const boom = new Error("provider down");
    await expect(
      guard.withBudget({ amountUsd: 0.2 }, async () => {
        expect((await ledger(t).counter("tenant", today())).reserved).toBe(200_000);
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(await ledger(t).counter("tenant", today())).toEqual(ZERO);
  });

  it("withBudget commits an outcome without a cost at the whole hold (never at zero)", async () => {
    const { t, guard } = await client();
    const untyped = (async () => ({ value: "x" })) as unknown as Parameters<typeof guard.withBudget<string>>[1];
    expect(await guard.withBudget({ amountUsd: 0.05 }, untyped)).toBe("x");
    expect((await ledger(t).counter("tenant", today())).spent).toBe(50_000);
  });

  it("a block rejects with BudgetExceededError carrying scope, limit, remaining and reset, before the function runs", async () => {
    const { guard } = await client({ limits: { daily: 0.05 }, blockStatus: 429 });
    let ran = false;
    const err = await guard
      .withBudget({ amountUsd: 0.1 }, async () => {
        ran = true;
        return { value: null, costUsd: 0 };
      })
      .catch((e: unknown) => e);
    expect(ran).toBe(false);
    expect(err).toBeInstanceOf(BudgetExceededError);
    const e = err as BudgetExceededError;
    expect(e).toBeInstanceOf(BudgetGuardError);
    expect(e).toMatchObject({ status: 429, code: "tenant_daily_budget_exceeded", type: "budget_exceeded", scope: "tenant:daily", limit: 0.05, remaining: 0.05 });
    expect(e.resetAt.getTime()).toBeGreaterThan(Date.now());
    expect(e.retryAfter).toBeGreaterThan(0);
    expect(e.message).toMatch(/Daily budget of \$0\.05 for tenant/);
  });

  it("other refusals are BudgetGuardError with the status, code and field", async () => {
    const { guard } = await client();
    const missing = await guard.commit("res_nope", { costUsd: 0.01 }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(BudgetGuardError);
    expect(missing).not.toBeInstanceOf(BudgetExceededError);
    expect(missing).toMatchObject({ status: 404, code: "reservation_not_found", param: "id" });
    const bad = await guard.reserve({ amountUsd: -1 }).catch((e: unknown) => e);
    expect(bad).toMatchObject({ status: 400, param: "amountUsd" });
    const stranger = new BudgetGuard({ baseUrl: BASE, key: "bg_nosuchtenant_abcdefghijklmnopqrstuvwxyz012345", fetch: workerFetch });
    expect(await stranger.budget().catch((e: unknown) => e)).toMatchObject({ status: 401, code: "invalid_api_key" });
  });

  it("budget() reads the caller's scopes", async () => {
    const { guard } = await client({ limits: { daily: 1 } });
    await guard.reserve({ amountUsd: 0.25 });
    const b = await guard.budget();
    expect(b.scopes.find((s) => s.scope === "tenant" && s.window === "daily")).toMatchObject({ limitUsd: 1, reservedUsd: 0.25, remainingUsd: 0.75 });
  });

  it("recordUsage records once per Idempotency-Key, and retries an unreachable guard with the same key", async () => {
    let failNext = 1;
    const flaky: typeof fetch = async (input, init) => {
      if (new Request(input, init).url.endsWith("/v1/usage") && failNext-- > 0) {
        // The record lands, but the answer is lost on the way back.
        await workerFetch(input, init);
        throw new TypeError("network connection lost");
      }
      return workerFetch(input, init);
    };
    const { t, guard } = await client({ limits: { daily: 1 } }, flaky);
    const rec = await guard.recordUsage({ costUsd: 0.3, source: "serpapi", feature: "search" });
    expect(rec).toMatchObject({ costUsd: 0.3, source: "serpapi", feature: "search" });
    expect(await ledger(t).counter("tenant", today())).toEqual({ spent: 300_000, reserved: 0, requests: 1 });
    const a = await guard.recordUsage({ usage: { model: "mock-small", inputTokens: 1000, outputTokens: 0 }, source: "batch" }, { idempotencyKey: "b-1" });
    const b = await guard.recordUsage({ usage: { model: "mock-small", inputTokens: 1000, outputTokens: 0 }, source: "batch" }, { idempotencyKey: "b-1" });
    expect(b).toEqual(a);
    expect((await ledger(t).counter("tenant", today())).requests).toBe(2);
  });
});
