/**
 * Closing a reservation that drew on burst pools, inside the settlement's
 * transaction, after the call's cost was counted in its scopes: each pool
 * pays how far the cost takes its scope's own spend past the limit now
 * (never more than it held for the call, src/ledger/bursts-draw.ts) and its
 * hold goes; a release or an expiry gives the hold back. A reservation
 * without draws (`burst` null) costs nothing here.
 */
import { settleShare, type SettleWindow } from "./bursts-draw";
import { poolScope, type StoredDraw } from "./bursts-reserve";
import type { LedgerStore, ReservationRow } from "./storage";

function drawsOf(r: ReservationRow): StoredDraw[] {
  return r.burst ? (JSON.parse(r.burst) as StoredDraw[]) : [];
}

/** The drawing scope's limited windows as they stand, with what all its pools hold and spent there. */
function windowsNow(store: LedgerStore, d: StoredDraw): SettleWindow[] {
  const wins = d.limits.map(([w]) => w);
  const pools = store.bursts.idsOf(d.scope).map(poolScope);
  const rows = store.counters([d.scope, ...pools], wins);
  const used = (scope: string, w: string) => {
    const row = rows.get(`${scope}\u0000${w}`);
    return (row?.spent ?? 0) + (row?.reserved ?? 0);
  };
  return d.limits.map(([w, limit]) => ({ limit, used: used(d.scope, w), drawn: pools.reduce((s, p) => s + used(p, w), 0) }));
}

/** Charges each pool its share of a settled call and adds it to the pool's analysis (after the scope counters were bumped). */
export function settleDraws(store: LedgerStore, r: ReservationRow, cost: number, day: string): void {
  for (const d of drawsOf(r)) {
    // An expired reservation already gave its hold back: only the spend is still owed.
    const held = r.state === "open" ? d.amount : 0;
    const share = settleShare(d.amount, held, windowsNow(store, d));
    store.bumpAll(d.counters, { spent: share, reserved: -held, requests: share > 0 ? 1 : 0 });
    if (share > 0) {
      store.bursts.addUsage({ burstId: d.id, day: day.replace(/^day:/, ""), userId: r.user_id, feature: r.feature, model: r.model, spent: share });
    }
  }
}

/** Gives each pool its hold back (the call spent nothing, or its reservation expired). */
export function releaseDraws(store: LedgerStore, r: ReservationRow): void {
  for (const d of drawsOf(r)) store.bumpAll(d.counters, { reserved: -d.amount });
}
