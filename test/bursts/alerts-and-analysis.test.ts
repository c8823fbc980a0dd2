/**
 * What a pool reports: `burst_started` on its first draw and
 * `burst_exhausted` when nothing is left or a call needed more than was
 * left, once each (the outbox, GET /tenants/{t}/alerts); the post-spend
 * analysis (spent, requests, top users, features and models, days active);
 * and the usage report still counting pool-funded spend in the scope.
 */
import { describe, expect, it } from "vitest";
import { admin } from "../helpers/guard";
import { activePool, analysis, pricedTenant, reserve, settle, spend } from "../helpers/bursts";

type Alert = { kind: string; scope: string; payload: { limitUsd: number; detail: string } };
async function poolAlerts(t: string): Promise<Alert[]> {
  const res = (await (await admin("GET", `/tenants/${t}/alerts`)).json()) as { alerts: Alert[] };
  return res.alerts.filter((a) => a.kind.startsWith("burst_"));
}

/** A tenant limited to 1,000 micro-USD a day, already spent (by ann), and a tenant pool of `amountUsd`. */
async function tenantAtLimit(amountUsd: number) {
  const s = await pricedTenant({ limits: { daily: 0.001 } });
  await spend(s.t, s.keyHash, 900, 100);
  return { ...s, pool: await activePool(s.t, { scope: "tenant", amountUsd }) };
}

async function drawAndSettle(t: string, keyHash: string, input: number, output: number, over: Record<string, string> = {}) {
  const r = await reserve(t, keyHash, input, output, over);
  expect(r.status).toBe("allowed");
  if (r.status === "allowed") await settle(t, r.reservationId, input, output);
  return r;
}

describe("pool alerts", () => {
  it("burst_started on the first draw and burst_exhausted when it runs out, once each", async () => {
    const { t, keyHash, pool } = await tenantAtLimit(0.001);
    await drawAndSettle(t, keyHash, 100, 400);
    expect((await poolAlerts(t)).map((a) => a.kind)).toEqual(["burst_started"]);
    await drawAndSettle(t, keyHash, 100, 400);
    expect(await reserve(t, keyHash, 100, 400)).toMatchObject({ status: "blocked", code: "tenant_daily_budget_exceeded" });
    const alerts = await poolAlerts(t);
    expect(alerts.map((a) => a.kind).sort()).toEqual(["burst_exhausted", "burst_started"]);
    for (const a of alerts) {
      expect(a.scope).toBe(`burst:${pool}`);
      expect(a.payload).toMatchObject({ limitUsd: 0.001, detail: `${pool} for tenant` });
    }
    expect(await analysis(t, pool)).toMatchObject({ state: "exhausted", remainingUsd: 0, spentUsd: 0.001, requests: 2 });
  });

  it("burst_exhausted when a call needs more than is left, though some is", async () => {
    const { t, keyHash, pool } = await tenantAtLimit(0.001);
    await drawAndSettle(t, keyHash, 100, 400);
    // 500 left; an input of 600 cannot be cut to fit.
    expect(await reserve(t, keyHash, 600, 10)).toMatchObject({ status: "blocked" });
    expect((await poolAlerts(t)).map((a) => a.kind).sort()).toEqual(["burst_exhausted", "burst_started"]);
    // What is left still funds a call that fits in it.
    expect(await reserve(t, keyHash, 100, 400)).toMatchObject({ status: "allowed", burstId: pool });
  });
});

describe("the post-spend analysis", () => {
  it("spent, requests, top users, features and models, days active, first and last draw", async () => {
    const { t, keyHash, pool } = await tenantAtLimit(0.01);
    await drawAndSettle(t, keyHash, 100, 200, { userId: "a", feature: "f1" });
    const b = await reserve(t, keyHash, 100, 400, { userId: "b", feature: "f2" });
    if (b.status === "allowed") await settle(t, b.reservationId, 100, 100);
    await drawAndSettle(t, keyHash, 50, 50, { userId: "a", feature: "f2" });

    const a = await analysis(t, pool);
    expect(a).toMatchObject({
      amountUsd: 0.01,
      spentUsd: 0.0006,
      reservedUsd: 0,
      remainingUsd: 0.0094,
      requests: 3,
      daysActive: 1,
      topUsers: [
        { userId: "a", spentUsd: 0.0004, requests: 2 },
        { userId: "b", spentUsd: 0.0002, requests: 1 },
      ],
      topFeatures: [
        { feature: "f1", spentUsd: 0.0003, requests: 1 },
        { feature: "f2", spentUsd: 0.0003, requests: 2 },
      ],
      topModels: [{ model: "mock-small", spentUsd: 0.0006, requests: 3 }],
    });
    expect(Date.parse(String(a.firstDrawAt))).toBeLessThanOrEqual(Date.parse(String(a.lastDrawAt)));

    // The list shows the same pool with its remaining.
    const list = (await (await admin("GET", `/tenants/${t}/bursts`)).json()) as { bursts: { id: string; remainingUsd: number }[] };
    expect(list.bursts).toEqual([expect.objectContaining({ id: pool, remainingUsd: 0.0094 })]);

    // Pool-funded spend is real spend: the usage report counts it in the tenant.
    const usage = (await (await admin("GET", `/tenants/${t}/usage?period=day&groupBy=user`)).json()) as { total: { spendUsd: number } };
    expect(usage.total.spendUsd).toBeCloseTo(0.0016, 9);
  });

  it("a pool nobody drew on reports zeros and no draw times", async () => {
    const { t, pool } = await tenantAtLimit(0.01);
    expect(await analysis(t, pool)).toMatchObject({
      spentUsd: 0,
      requests: 0,
      topUsers: [],
      topFeatures: [],
      topModels: [],
      daysActive: 0,
      firstDrawAt: null,
      lastDrawAt: null,
    });
  });
});
