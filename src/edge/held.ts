/**
 * One allowance as an isolate holds it: the snapshot it decides from, what
 * its local requests hold and have settled, and the records waiting to go
 * back. Synchronous bookkeeping only; `flush.ts` does the I/O.
 */
import type { AllowanceRecord, AllowanceSnapshot } from "../ledger/allowances-types";
import { ceilingCharge, type CallCosts } from "../budget/commitment";
import { usageCosts, type Rates, type Usage } from "../pricing/cost";
import type { LocalUsage } from "./local-decision";

/** Records per flush at most (DESIGN: ≤ 100 records or ≤ 1 s). */
export const MAX_BATCH = 100;
/** The oldest unflushed record is at most this old. */
export const MAX_RECORD_AGE_MS = 1000;

/**
 * The charge of a locally decided call, by the same rules as the object's
 * settle: the provider's usage at the stored rates (net of a committed-use
 * discount, the list price beside it); when the cost is unknown (`ceiling`),
 * the whole amount held, or the usage's cost if higher.
 */
export function localCost(usage: Usage, outcome: AllowanceRecord["outcome"], amount: number, rates: Rates): number {
  return localCosts(usage, outcome, amount, rates).net;
}

/** {@link localCost} and the list price beside it (the record's `listCost`). */
export function localCosts(usage: Usage, outcome: AllowanceRecord["outcome"], amount: number, rates: Rates): CallCosts {
  const measured = usageCosts(usage, rates);
  return outcome === "ceiling" ? ceilingCharge(measured, amount, rates.netBps) : measured;
}

/** An allowance held in this isolate. */
export class HeldAllowance {
  /** Micro-USD held by local requests decided and not yet settled. */
  inflight = 0;
  /** Local requests in flight. */
  inflightCount = 0;
  /** Settled records not yet sent. */
  queued: AllowanceRecord[] = [];
  /** Cost of records sent in a flush whose answer has not come back (still inside the old hold). */
  sending = 0;
  /** False once the allowance may no longer decide (revoked, expired, being returned or drained). */
  usable = true;
  /** The flush in progress, so flushes of one allowance go one at a time and in order. */
  flushing: Promise<void> | null = null;
  /** When the scheduled flush fires, if one is armed. */
  timerAt: number | null = null;
  /** After a failed flush, no retry before this (the object may be overloaded). */
  retryAt = 0;
  /**
   * True while the object may hold more for it than what is in flight here: after the grant and after
   * every renewal (the object keeps the old grant covered until the next batch). A batch sent without
   * renewing sets the hold to exactly what is in flight, so the last one returns everything.
   */
  excess = true;
  /** The last batch number sent (`FlushRequest.seq`). */
  private sent = 0;
  private lifeMs: number;

  constructor(
    public snap: AllowanceSnapshot,
    now: number,
  ) {
    this.lifeMs = Math.max(1, snap.expiresAt - now);
  }

  get id(): string {
    return this.snap.allowanceId;
  }

  /** What the local decision subtracts from the hold and adds to the windows. */
  usage(): LocalUsage {
    let pending = this.sending;
    for (const r of this.queued) pending += r.cost;
    return { inflight: this.inflight, pending };
  }

  /** Whether a local decision may use it at `now`. */
  canDecide(now: number): boolean {
    return this.usable && now < this.snap.expiresAt;
  }

  /** A local request took `amount` from the hold. */
  begin(amount: number): void {
    this.inflight += amount;
    this.inflightCount += 1;
  }

  /** A local request ended: its hold becomes its record (or nothing, for a release). */
  end(amount: number, record: AllowanceRecord | null): void {
    this.inflight = Math.max(0, this.inflight - amount);
    this.inflightCount = Math.max(0, this.inflightCount - 1);
    if (record) this.queued.push(record);
  }

  /**
   * A flush is due now: a full batch, the oldest record a second old, or (while
   * it decides) less than half the hold left, so the renewal resizes it to the
   * subject's pace before it runs out and requests fall back to the object.
   */
  due(now: number): boolean {
    if (now < this.retryAt) return false;
    const first = this.queued[0];
    if (this.queued.length >= MAX_BATCH || (first !== undefined && now - first.at >= MAX_RECORD_AGE_MS)) return true;
    const u = this.usage();
    return this.usable && this.flushing === null && u.inflight + u.pending > this.snap.hold / 2;
  }

  /** When the next flush is due even if nothing else happens: the oldest record's age limit, or half the lifetime. */
  nextDueAt(now: number): number {
    const first = this.queued[0];
    const byAge = first ? first.at + MAX_RECORD_AGE_MS : Number.POSITIVE_INFINITY;
    const renewAt = this.halfLifeAt();
    return Math.max(now, this.retryAt, Math.min(byAge, renewAt));
  }

  /** Past half its life a busy allowance renews, so it never lapses while in use. */
  halfLifeAt(): number {
    return this.snap.expiresAt - Math.floor(this.lifeMs / 2);
  }

  /** The next batch number. */
  nextSeq(): number {
    this.sent += 1;
    return this.sent;
  }

  /** Takes up to one batch of records for sending. */
  take(): AllowanceRecord[] {
    const batch = this.queued.splice(0, MAX_BATCH);
    for (const r of batch) this.sending += r.cost;
    return batch;
  }

  /** The flush of `batch` was applied by the object (its cost is now in the snapshot's counters, or will be). */
  acked(batch: readonly AllowanceRecord[], next: AllowanceSnapshot | null, now: number): void {
    for (const r of batch) this.sending -= r.cost;
    if (next) {
      this.snap = next;
      this.lifeMs = Math.max(1, next.expiresAt - now);
    } else this.usable = false;
  }

  /** The flush failed: the batch goes back to the queue (sent again, or settled late against the credit). */
  failed(batch: AllowanceRecord[], now: number): void {
    for (const r of batch) this.sending -= r.cost;
    this.queued.unshift(...batch);
    this.retryAt = now + MAX_RECORD_AGE_MS;
  }

  /** True when nothing is in flight and nothing is left to send: the allowance can be forgotten. */
  drained(): boolean {
    return this.inflightCount === 0 && this.queued.length === 0 && this.sending === 0;
  }
}
