/**
 * A tenant with a committed-use discount, through the worker: the ledger
 * records the net cost (the list cost kept beside it in the rollups), the
 * budget limits and headers count net, a call that fits only at the net
 * price passes, and the net cost is rounded up once per call. Runs in the
 * `off` and `on` projects: with allowances on, calls settled at the edge
 * are net too.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { windowsAt } from "../../src/budget/windows";
import { admin, call } from "../helpers/guard";
import { restoreAfterEach } from "../helpers/traffic";
import { ledger, rollupCosts, spend, tenantCounter, tenantWith } from "./setup";

restoreAfterEach();

const C25 = { monthlyUsd: 100, discountPct: 25 };

describe("calls are priced net of the discount", () => {
  it("a call whose list cost is $0.004 records $0.003, list kept beside it", async () => {
    const { t, key } = await tenantWith({ commitment: C25 });
    const res = await spend(key, 400);
    expect(res.status).toBe(200);
    expect(await tenantCounter(t, "daily")).toMatchObject({ spent: 3_000, requests: 1 });
    expect(await ledger(t).counter("user:u", windowsAt(Date.now()).monthly.key)).toMatchObject({ spent: 3_000 });
    expect(await rollupCosts(t)).toEqual({ net: 3_000, list: 4_000 });
  });

  it("without a commitment the same call records the list price", async () => {
    const { t, key } = await tenantWith({});
    expect((await spend(key, 400)).status).toBe(200);
    expect((await tenantCounter(t, "daily")).spent).toBe(4_000);
    expect(await rollupCosts(t)).toEqual({ net: 4_000, list: 4_000 });
  });

  it("rounds the net cost up once per call: 3 tokens ($0.00003 list) are 23 micro-USD, not 3 × 8", async () => {
    const { t, key } = await tenantWith({ commitment: C25 });
    expect((await spend(key, 3)).status).toBe(200);
    expect((await spend(key, 1)).status).toBe(200);
    // 30 × 0.75 = 22.5 → 23; 10 × 0.75 = 7.5 → 8.
    expect((await tenantCounter(t, "daily")).spent).toBe(23 + 8);
    expect(await rollupCosts(t)).toEqual({ net: 31, list: 40 });
  });

  it("33.33% off: 7 tokens ($0.00007 list) are 47 micro-USD net (46.669 rounded up)", async () => {
    const { t, key } = await tenantWith({ commitment: { monthlyUsd: 10, discountPct: 33.33 } });
    expect((await spend(key, 7)).status).toBe(200);
    expect((await tenantCounter(t, "daily")).spent).toBe(47);
  });

  it("a call that fits only at the net price passes; the same call at list is blocked", async () => {
    // 1,000 output tokens at $10/M: $0.01 at list, $0.0075 net; the daily limit is $0.008 and no clamp below 1,000.
    const config = { limits: { daily: 0.008 }, minOutputTokens: 1_000 };
    const list = await tenantWith(config);
    const blocked = await spend(list.key, 1_000);
    expect(((await blocked.json()) as { error: { code: string } }).error.code).toBe("tenant_daily_budget_exceeded");

    const net = await tenantWith({ ...config, commitment: C25 });
    const ok = await spend(net.key, 1_000);
    expect(ok.status).toBe(200);
    // The headers count net: $0.008 − $0.0075 held for this call.
    expect(ok.headers.get("x-budget-limit-usd")).toBe("0.008");
    expect(ok.headers.get("x-budget-remaining-usd")).toBe("0.0005");
    expect(await tenantCounter(net.t, "daily")).toMatchObject({ spent: 7_500 });

    // GET /v1/budget: the limit is spent net.
    const budget = (await (await call("/v1/budget", { headers: { authorization: `Bearer ${net.key}` } })).json()) as {
      scopes: { scope: string; window: string; limitUsd: number | null; spentUsd: number; remainingUsd: number | null }[];
    };
    expect(budget.scopes.find((s) => s.scope === "tenant" && s.window === "daily")).toMatchObject({
      limitUsd: 0.008,
      spentUsd: 0.0075,
      remainingUsd: 0.0005,
    });

    // Nothing else fits now ($0.0005 left, a call needs $0.0075 net).
    expect([402, 429]).toContain((await spend(net.key, 1_000)).status);
  });

  it("changing the commitment prices the next call at the new discount", async () => {
    const { t, key } = await tenantWith({ commitment: C25 });
    expect((await spend(key, 400)).status).toBe(200);
    expect((await admin("PATCH", `/tenants/${t}`, { commitment: null })).status).toBe(200);
    expect((await spend(key, 400)).status).toBe(200);
    expect((await tenantCounter(t, "daily")).spent).toBe(3_000 + 4_000);
    expect(await rollupCosts(t)).toEqual({ net: 7_000, list: 8_000 });
  });
});

describe("with allowances on, calls settled at the edge are net too", () => {
  it("several calls, some decided at the edge, all recorded net with list beside", async () => {
    const { t, key } = await tenantWith({ commitment: C25 });
    let local = 0;
    for (let i = 0; i < 6; i++) {
      const res = await spend(key, 400);
      expect(res.status).toBe(200);
      // Decided (and settled) at the edge: the request asked the object nothing (its flush came after).
      if (/ledger;dur=0(,|$)/.test(res.headers.get("server-timing") ?? "")) local += 1;
    }
    if (env.ALLOWANCES === "on") expect(local).toBeGreaterThan(0);
    expect((await tenantCounter(t, "daily")).spent).toBe(6 * 3_000);
    expect(await rollupCosts(t)).toEqual({ net: 6 * 3_000, list: 6 * 4_000 });
  });
});
