/**
 * Draws are serial: the draw is decided and counted inside the
 * reservation's transaction, so 50 calls at once against one pool never draw
 * more than it holds, never leave it below zero, and never take the scope's
 * own spend past its limit.
 */
import { describe, expect, it } from "vitest";
import type { ReserveResult } from "../../src/ledger/types";
import { admin } from "../helpers/guard";
import { today } from "../helpers/traffic";
import { activePool, analysis, ledger, poolTotal, pricedTenant, reserve, settle, spend } from "../helpers/bursts";

type Allowed = Extract<ReserveResult, { status: "allowed" }>;

async function fifty(ownSpent: number, pool: Record<string, unknown>) {
  const s = await pricedTenant();
  expect((await admin("PUT", `/tenants/${s.t}/users/ann`, { limits: { daily: 0.002 } })).status).toBe(200);
  await spend(s.t, s.keyHash, ownSpent - 100, 100);
  const id = await activePool(s.t, { scope: "user:ann", ...pool });
  // Calls of 50 input + up to 50 output: 100 each, cut down to fit where the cap allows.
  const results = await Promise.all(Array.from({ length: 50 }, () => reserve(s.t, s.keyHash, 50, 50)));
  const ok = results.filter((r): r is Allowed => r.status === "allowed");
  return { ...s, id, ok, results };
}

async function invariants(t: string, id: string, amount: number, ok: Allowed[], ownBefore: number) {
  const total = await poolTotal(t, id);
  const day = await ledger(t).counter(`burst:${id}`, today());
  const ann = await ledger(t).counter("user:ann", today());
  const drawn = total.spent + total.reserved;
  expect(drawn).toBeLessThanOrEqual(amount);
  expect(total.reserved).toBeGreaterThanOrEqual(0);
  // Ann's own spend (everything minus what the pool funds) stays within her 2,000.
  expect(ann.spent + ann.reserved - (day.spent + day.reserved)).toBeLessThanOrEqual(2000);
  // Every allowed micro-dollar is either ann's own room or the pool's.
  const held = ok.reduce((s, r) => s + r.amount, 0);
  expect(held).toBe(2000 - ownBefore + drawn);
  const a = await analysis(t, id);
  expect(a.remainingUsd).toBeGreaterThanOrEqual(0);
  return drawn;
}

describe("50 concurrent calls against one pool", () => {
  it("at the limit, a 2,000 pool funds exactly 20 calls of 100; the rest are blocked", async () => {
    const { t, id, ok, results } = await fifty(2000, { amountUsd: 0.002 });
    expect(ok.length).toBe(20);
    expect(ok.every((r) => r.amount === 100 && r.burstId === id)).toBe(true);
    expect(results.filter((r) => r.status === "blocked").length).toBe(30);
    expect(await invariants(t, id, 2000, ok, 2000)).toBe(2000);
    expect((await analysis(t, id)).state).toBe("exhausted");

    // Settled in full, concurrently: the pool is spent exactly, not beyond.
    await Promise.all(ok.map((r) => settle(t, r.reservationId, 50, 50)));
    expect(await poolTotal(t, id)).toEqual({ spent: 2000, reserved: 0, requests: 20 });
  });

  it("part own room, part pool, a per-request cap: never over the pool, never under zero", async () => {
    const { t, id, ok } = await fifty(1950, { amountUsd: 0.00123, maxPerRequestUsd: 0.00007 });
    expect(ok.length).toBeGreaterThan(15);
    expect(ok.every((r) => r.amount <= 100)).toBe(true);
    const drawn = await invariants(t, id, 1230, ok, 1950);
    expect(drawn).toBeGreaterThan(1230 - 100);
    await Promise.all(ok.map((r) => settle(t, r.reservationId, 50, r.forwardMaxTokens ?? 50)));
    const after = await poolTotal(t, id);
    expect(after.reserved).toBe(0);
    expect(after.spent).toBeLessThanOrEqual(1230);
  });
});
