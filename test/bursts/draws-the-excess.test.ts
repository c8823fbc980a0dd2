/**
 * A call that does not fit its scope's hard limit draws only the excess from
 * an active pool of that scope, inside the reservation's transaction, says
 * so in `X-Budget-Burst`, and settles the pool's share as the money spent
 * last; the per-request cap, closing and expiry stop draws; a released or
 * expired reservation gives its draw back. Prices are 1 micro-USD a token,
 * so amounts read as token counts.
 */
import { describe, expect, it } from "vitest";
import { admin, chat, createKey, eventually } from "../helpers/guard";
import { activePool, analysis, inAnHour, ledger, poolTotal, pricedTenant, reserve, settle, spend, sqlInLedger } from "../helpers/bursts";
import { today } from "../helpers/traffic";

/** A tenant whose user ann may spend 2,000 micro-USD a day and has spent `spent` of it. */
async function annAt(spent: number) {
  const s = await pricedTenant();
  expect((await admin("PUT", `/tenants/${s.t}/users/ann`, { limits: { daily: 0.002 } })).status).toBe(200);
  if (spent > 0) await spend(s.t, s.keyHash, spent - 100, 100);
  return s;
}

const annDay = (t: string) => ledger(t).counter("user:ann", today());

describe("through the guard", () => {
  it("a call over the limit draws only the excess, says X-Budget-Burst, and the pool pays the excess spent last", async () => {
    const { t, key } = await annAt(1500);
    const pool = await activePool(t, { scope: "user:ann", amountUsd: 0.01 });
    const res = await chat(
      key,
      { model: "mock-small", messages: [{ role: "user", content: "Hello" }], max_tokens: 1000 },
      { "x-budget-user": "ann", "x-mock-output-tokens": "800" },
    );
    expect(res.status).toBe(200);
    expect(res.headers.get("x-budget-burst")).toBe(pool);
    // The headers speak of ann's own budget: nothing left of it.
    expect(res.headers.get("x-budget-scope")).toBe("user:daily");
    expect(res.headers.get("x-budget-remaining-usd")).toBe("0");
    await res.text();

    const settled = await eventually(async () => {
      const p = await poolTotal(t, pool);
      expect(p.reserved).toBe(0);
      expect(p.spent).toBeGreaterThan(0);
      return p;
    });
    const day = await annDay(t);
    const cost = day.spent - 1500;
    expect(cost).toBeGreaterThan(800);
    // Only what went past the limit is the pool's: ann's own spend is exactly her limit.
    expect(settled.spent).toBe(cost - 500);
    expect(day.spent - settled.spent).toBe(2000);
    expect(settled.requests).toBe(1);
  });

  it("a call that fits carries no X-Budget-Burst and leaves the pool untouched", async () => {
    const { t, key } = await annAt(100);
    const pool = await activePool(t, { scope: "user:ann", amountUsd: 0.01 });
    const res = await chat(key, { model: "mock-small", messages: [{ role: "user", content: "Hi" }], max_tokens: 10 }, { "x-budget-user": "ann" });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-budget-burst")).toBeNull();
    await res.text();
    expect(await poolTotal(t, pool)).toEqual({ spent: 0, reserved: 0, requests: 0 });
  });
});

describe("the draw, exactly", () => {
  it("holds the excess, and settles the excess spent last: min(D, cost − (amount − D))", async () => {
    const { t, keyHash } = await annAt(1500);
    const pool = await activePool(t, { scope: "user:ann", amountUsd: 0.01 });
    const r = await reserve(t, keyHash, 100, 900);
    expect(r).toMatchObject({ status: "allowed", amount: 1000, burstId: pool });
    expect(await poolTotal(t, pool)).toMatchObject({ reserved: 500, spent: 0 });

    // Settled lower than reserved: the first 500 were ann's own, the pool pays only the 200 past them.
    if (r.status === "allowed") await settle(t, r.reservationId, 100, 600);
    expect(await poolTotal(t, pool)).toEqual({ spent: 200, reserved: 0, requests: 1 });
    expect((await annDay(t)).spent).toBe(2200);

    // At the limit, a call draws all of it; released, all of it goes back.
    const next = await reserve(t, keyHash, 100, 900);
    expect(next).toMatchObject({ status: "allowed", burstId: pool });
    expect((await poolTotal(t, pool)).reserved).toBe(1000);
    if (next.status === "allowed") await ledger(t).release(next.reservationId);
    expect(await poolTotal(t, pool)).toEqual({ spent: 200, reserved: 0, requests: 1 });

    const a = await analysis(t, pool);
    expect(a).toMatchObject({ spentUsd: 0.0002, reservedUsd: 0, remainingUsd: 0.0098, requests: 1, state: "active" });
  });

  it("room that comes back before the settle spares the pool: it pays only what is over the limit then", async () => {
    const { t, keyHash } = await annAt(1500);
    const pool = await activePool(t, { scope: "user:ann", amountUsd: 0.01 });
    const own = await reserve(t, keyHash, 100, 400);
    expect(own).toMatchObject({ status: "allowed", amount: 500 });
    expect(own.status === "allowed" ? own.burstId : "?").toBeUndefined();
    const drew = await reserve(t, keyHash, 100, 400);
    expect(drew).toMatchObject({ status: "allowed", burstId: pool });
    expect((await poolTotal(t, pool)).reserved).toBe(500);
    // The first call settles at 100 of its 500: 400 of ann's own room is back before the second settles.
    if (own.status === "allowed") await settle(t, own.reservationId, 100, 0);
    if (drew.status === "allowed") await settle(t, drew.reservationId, 100, 400);
    expect(await poolTotal(t, pool)).toEqual({ spent: 100, reserved: 0, requests: 1 });
    expect((await annDay(t)).spent - 100).toBe(2000);
  });

  it("a reservation that expires gives its draw back", async () => {
    const { t, keyHash } = await annAt(2000);
    const pool = await activePool(t, { scope: "user:ann", amountUsd: 0.01 });
    const r = await reserve(t, keyHash, 100, 100);
    expect(r).toMatchObject({ status: "allowed", burstId: pool });
    expect((await poolTotal(t, pool)).reserved).toBe(200);
    await sqlInLedger(t, `UPDATE reservations SET expires_at = ? WHERE state = 'open'`, Date.now() - 1);
    expect((await ledger(t).tick()).expired).toBe(1);
    expect(await poolTotal(t, pool)).toEqual({ spent: 0, reserved: 0, requests: 0 });
  });

  it("maxPerRequestUsd: a call is clamped to fit it, and blocked when even its input does not", async () => {
    const { t, keyHash } = await annAt(1500);
    const pool = await activePool(t, { scope: "user:ann", amountUsd: 0.01, maxPerRequestUsd: 0.0003 });
    // 500 of own room + at most 300 from the pool: the 1,000 asked for is cut to 800.
    const clamped = await reserve(t, keyHash, 100, 900);
    expect(clamped).toMatchObject({ status: "allowed", amount: 800, clamped: true, forwardMaxTokens: 700, burstId: pool });
    expect((await poolTotal(t, pool)).reserved).toBe(300);
    if (clamped.status === "allowed") await settle(t, clamped.reservationId, 100, 700);
    // Now at the limit: an input of 400 alone is more than one call may draw.
    const blocked = await reserve(t, keyHash, 400, 10);
    expect(blocked).toMatchObject({ status: "blocked", code: "user_daily_budget_exceeded" });
    expect(await poolTotal(t, pool)).toEqual({ spent: 300, reserved: 0, requests: 1 });
    expect(await reserve(t, keyHash, 200, 10)).toMatchObject({ status: "allowed", amount: 210, burstId: pool });
  });

  it("closing stops draws; a call in flight still settles against the pool", async () => {
    const { t, keyHash } = await annAt(2000);
    const pool = await activePool(t, { scope: "user:ann", amountUsd: 0.01 });
    const inFlight = await reserve(t, keyHash, 100, 100);
    expect(inFlight).toMatchObject({ status: "allowed", burstId: pool });
    expect((await admin("POST", `/tenants/${t}/bursts/${pool}/close`)).status).toBe(200);
    expect(await reserve(t, keyHash, 100, 100)).toMatchObject({ status: "blocked" });
    if (inFlight.status === "allowed") await settle(t, inFlight.reservationId, 100, 100);
    expect(await poolTotal(t, pool)).toEqual({ spent: 200, reserved: 0, requests: 1 });
    expect(await analysis(t, pool)).toMatchObject({ state: "closed", spentUsd: 0.0002 });
  });

  it("an expired pool does not draw, and is reported expired", async () => {
    const { t, keyHash } = await annAt(2000);
    const pool = await activePool(t, { scope: "user:ann", amountUsd: 0.01 });
    await sqlInLedger(t, `UPDATE bursts SET expires_at = ? WHERE id = ?`, Date.now() - 1, pool);
    expect(await reserve(t, keyHash, 100, 100)).toMatchObject({ status: "blocked", code: "user_daily_budget_exceeded" });
    expect(await poolTotal(t, pool)).toEqual({ spent: 0, reserved: 0, requests: 0 });
    expect(await analysis(t, pool)).toMatchObject({ state: "expired" });
  });

  it("a pending pool does not draw until approved", async () => {
    const { t, keyHash } = await annAt(2000);
    const adminKey = await createKey(t, { name: "ops", role: "admin" });
    const asked = await admin("POST", `/tenants/${t}/bursts`, { scope: "user:ann", amountUsd: 0.01, reason: "r", expiresAt: inAnHour() }, adminKey);
    const id = ((await asked.json()) as { id: string }).id;
    expect(await reserve(t, keyHash, 100, 100)).toMatchObject({ status: "blocked" });
    expect((await admin("POST", `/tenants/${t}/bursts/${id}/approve`)).status).toBe(200);
    expect(await reserve(t, keyHash, 100, 100)).toMatchObject({ status: "allowed", burstId: id });
  });

  it("a pool of another scope is not drawn on", async () => {
    const { t, keyHash } = await annAt(2000);
    await admin("PUT", `/tenants/${t}/users/bob`, { limits: { daily: 1 } });
    await activePool(t, { scope: "user:bob", amountUsd: 0.01 });
    expect(await reserve(t, keyHash, 100, 100)).toMatchObject({ status: "blocked" });
  });
});
