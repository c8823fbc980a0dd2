/**
 * An uncommitted hold is released by the tenant's alarm at its expiry, like
 * any reservation; a commit after expiry still records the spend, once.
 * Expiry is reached by moving the row's `expires_at` back (no sleeps), then
 * running the alarm with runDurableObjectAlarm.
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createKey, createTenant } from "../helpers/guard";
import { ledger, today, ZERO } from "../helpers/traffic";
import { commitApi, releaseApi, reserveApi } from "../helpers/app-layer";

async function expire(t: string, id: string): Promise<void> {
  await runInDurableObject(ledger(t), async (_instance, state) => {
    state.storage.sql.exec(`UPDATE reservations SET expires_at = ? WHERE id = ?`, Date.now() - 1, id);
  });
  expect(await runDurableObjectAlarm(ledger(t))).toBe(true);
}

async function held(ttlSeconds?: number) {
  const t = await createTenant({ limits: { daily: 1 } });
  const key = await createKey(t, { name: "k", role: "user", userId: "u" });
  const r = await reserveApi(key, { amountUsd: 0.1, ...(ttlSeconds ? { ttlSeconds } : {}) });
  expect(r.status).toBe(201);
  return { t, key, id: r.body.id, expiresAt: Date.parse(r.body.expiresAt) };
}

describe("expiry", () => {
  it("the alarm is set for the hold's expiry (ttlSeconds) and releases it uncommitted", async () => {
    const { t, id, expiresAt } = await held(90);
    const alarm = await runInDurableObject(ledger(t), (_i, state) => state.storage.getAlarm());
    expect(alarm).not.toBeNull();
    expect(alarm!).toBeLessThanOrEqual(expiresAt);
    expect((await ledger(t).counter("tenant", today())).reserved).toBe(100_000);
    await expire(t, id);
    expect(await ledger(t).counter("tenant", today())).toEqual(ZERO);
    expect(await ledger(t).counter("user:u", today())).toEqual(ZERO);
  });

  it("a commit after expiry still records the spend, once", async () => {
    const { t, key, id } = await held();
    await expire(t, id);
    const late = await commitApi(key, id, { costUsd: 0.03 });
    expect(late.status).toBe(200);
    expect(late.body).toMatchObject({ costUsd: 0.03, afterExpiry: true, overReserved: false });
    const once = { spent: 30_000, reserved: 0, requests: 1 };
    expect(await ledger(t).counter("tenant", today())).toEqual(once);
    // Again, and another alarm pass: nothing more.
    expect((await commitApi(key, id, { costUsd: 0.03 })).headers.get("idempotent-replayed")).toBe("true");
    await runDurableObjectAlarm(ledger(t));
    expect(await ledger(t).counter("tenant", today())).toEqual(once);
  });

  it("releasing an expired hold answers `expired` and changes nothing", async () => {
    const { t, key, id } = await held();
    await expire(t, id);
    const r = await releaseApi(key, id);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ state: "expired", amountUsd: 0.1 });
    expect(await ledger(t).counter("tenant", today())).toEqual(ZERO);
  });
});
