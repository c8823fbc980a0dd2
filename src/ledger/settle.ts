/**
 * Settlement: a reservation closes once, at the provider-reported cost
 * (`settle`) or with nothing spent (`release`, and expiry in the alarm).
 * The `*Tx` functions run inside the caller's `transactionSync`; `settle`
 * and `release` are the RPC steps around them.
 */
import { hourOf } from "../alerts/detect";
import { ceilingCharge } from "../budget/commitment";
import { usageCosts, type Rates } from "../pricing/cost";
import { anomalyCheckSoon } from "./alarm";
import { releaseDraws, settleDraws } from "./bursts-settle";
import { learnOutput } from "./output";
import type { Ledger } from "./state";
import type { LedgerStore, ReservationRow } from "./storage";
import type { SettleRequest, SettleResult } from "./types";

const UNKNOWN: SettleResult = { applied: false, cost: 0, state: "unknown" };

/** Settles a reservation at the provider-reported cost; a duplicate changes nothing. */
export async function settle(l: Ledger, req: SettleRequest): Promise<SettleResult> {
  const now = Date.now();
  if (!l.state.schemaReady) return UNKNOWN;
  const result = l.ctx.storage.transactionSync(() => settleInTx(l, req, now));
  if (result.applied) await anomalyCheckSoon(l, now);
  return result;
}

/** A settlement's read-check-write, inside the caller's transaction (the application layer's commit runs it in its own). */
export function settleInTx(l: Ledger, req: SettleRequest, now: number): SettleResult {
  const lease = l.state.lease;
  const r = l.store.reservation(req.reservationId);
  if (!r) return UNKNOWN;
  if (r.state === "settled" || r.state === "released") return { applied: false, cost: r.cost ?? 0, state: r.state };
  const cost = settleTx(l.store, r, req, now);
  if (req.responseId || req.conversationId) l.contexts.recordSettled(r.id, req, now);
  if (req.replay) l.store.saveReplay(r.id, req.replay, now);
  const sample = outputSample(r, req);
  if (sample !== null) learnOutput(l, r.model, sample);
  if (r.state === "open") lease?.refund(r.id, r.amount - cost);
  // An expired reservation already gave its hold back to the lease; its late cost is still owed to it.
  else lease?.consume(`late:${r.id}`, cost, now);
  return { applied: true, cost, state: "settled" };
}

/** Gives a reservation's hold back without spending (upstream error, client gone before the call). */
export function release(l: Ledger, reservationId: string): SettleResult {
  const now = Date.now();
  if (!l.state.schemaReady) return UNKNOWN;
  return l.ctx.storage.transactionSync(() => releaseInTx(l, reservationId, now));
}

/** A release's read-check-write, inside the caller's transaction. */
export function releaseInTx(l: Ledger, reservationId: string, now: number): SettleResult {
  const r = l.store.reservation(reservationId);
  if (!r) return UNKNOWN;
  if (r.state !== "open") return { applied: false, cost: r.cost ?? 0, state: r.state };
  releaseTx(l.store, r, "released", now);
  l.state.lease?.refund(r.id, r.amount);
  return { applied: true, cost: 0, state: "released" };
}

/** Applies a settlement inside the caller's transaction; returns the cost charged. */
export function settleTx(store: LedgerStore, r: ReservationRow, req: SettleRequest, now: number): number {
  const rates = req.rates ?? (JSON.parse(r.rates) as Rates);
  // A cost the application reports is what it paid: charged as is, list and net alike.
  const measured = req.cost !== undefined ? { list: req.cost, net: req.cost } : usageCosts(req.usage, rates);
  // Cost unknown: the reservation is the ceiling the guard proved; a higher reported usage still wins.
  const charged = req.outcome === "ceiling" ? ceilingCharge(measured, r.amount, rates.netBps) : measured;
  const cost = charged.net;
  // An expired reservation already gave its hold back; only the spend is still owed.
  const releaseHeld = r.state === "open" ? r.amount : 0;
  store.bumpAll(JSON.parse(r.counters) as [string, string][], { spent: cost, reserved: -releaseHeld, requests: 1 });
  store.closeReservation(r.id, "settled", cost, now);
  store.bumpHour(hourOf(now), cost);
  const { day, month } = windowKeysOf(r);
  if (r.burst) settleDraws(store, r, cost, day);
  store.rollup({
    at: now,
    day,
    month,
    userId: r.user_id,
    feature: r.feature,
    model: req.reportAs ?? r.model,
    inputTokens: req.usage.inputTokens,
    cachedTokens: req.usage.cachedInputTokens,
    cacheWriteTokens: req.usage.cacheWriteTokens,
    outputTokens: req.usage.outputTokens,
    cost,
    listCost: charged.list,
  });
  return cost;
}

/**
 * What a settled call teaches the learned output estimate, per choice: only a
 * completed call the guard capped (the client set no cap). One that stopped at
 * the guard's cap wanted more, so it counts double, to raise the estimate.
 */
export function outputSample(
  r: Pick<ReservationRow, "output_cap" | "choices">,
  req: Pick<SettleRequest, "outcome" | "usage">,
): number | null {
  if (req.outcome !== "ok" || r.output_cap === null || r.output_cap <= 0) return null;
  const n = Math.max(1, r.choices ?? 1);
  const perChoice = Math.ceil(req.usage.outputTokens / n);
  return req.usage.outputTokens >= r.output_cap ? Math.ceil(r.output_cap / n) * 2 : perChoice;
}

/** Gives a reservation's hold back. */
export function releaseTx(store: LedgerStore, r: ReservationRow, state: "released" | "expired", now: number): void {
  store.bumpAll(JSON.parse(r.counters) as [string, string][], { reserved: -r.amount });
  if (r.burst) releaseDraws(store, r);
  store.closeReservation(r.id, state, null, now);
}

export function windowKeysOf(r: ReservationRow): { day: string; month: string } {
  const keys = (JSON.parse(r.counters) as [string, string][]).map(([, w]) => w);
  return { day: keys.find((k) => k.startsWith("day:")) ?? "", month: keys.find((k) => k.startsWith("month:")) ?? "" };
}
