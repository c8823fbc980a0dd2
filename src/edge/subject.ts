/**
 * One subject (tenant + key + user header + body user + feature) as this
 * isolate sees it: how busy it is here, the allowance it decides from, and
 * allowances still draining (requests in flight, records to send).
 */
import type { AcquireRequest, AcquireResult, AllowanceSample } from "../ledger/allowances-types";
import { HeldAllowance } from "./held";

/** Busy: this many requests of the subject within {@link BUSY_WINDOW_MS} in this isolate. */
export const BUSY_REQUESTS = 4;
export const BUSY_WINDOW_MS = 1000;
/** The hold covers this much of the subject's recent spend rate. */
const RATE_WINDOW_MS = 1000;
/** After a refusal (near a limit, frozen…), ask again no sooner than this. */
export const REFUSAL_BACKOFF_MS = 1000;

/** A subject's state in this isolate. */
export class Subject {
  private readonly hits: number[] = [];
  private readonly spend: { at: number; amount: number }[] = [];
  /** The allowance local decisions use, if any. */
  current: HeldAllowance | null = null;
  /** Allowances that no longer decide but still have requests in flight or records to send. */
  readonly draining = new Set<HeldAllowance>();
  private acquiring: Promise<HeldAllowance | null> | null = null;
  private refusedUntil = 0;
  /** The last sample seen, for sizing a renewal. */
  sample: AllowanceSample | null = null;
  /** Models the subject called recently (newest last, a few): the snapshot prices them all. */
  readonly models: string[] = [];

  /** Notes an eligible request's sample and model. */
  saw(sample: AllowanceSample): void {
    this.sample = sample;
    const i = this.models.indexOf(sample.model);
    if (i >= 0) this.models.splice(i, 1);
    this.models.push(sample.model);
    if (this.models.length > 4) this.models.shift();
  }

  /** Counts a request of the subject at `now`. */
  hit(now: number): void {
    this.hits.push(now);
    while ((this.hits[0] ?? now) <= now - BUSY_WINDOW_MS) this.hits.shift();
  }

  /** Whether the subject is busy in this isolate (auto mode acquires then). */
  busy(now: number): boolean {
    while ((this.hits[0] ?? now) <= now - BUSY_WINDOW_MS) this.hits.shift();
    return this.hits.length >= BUSY_REQUESTS;
  }

  /** Notes `amount` held for one of the subject's requests (either path): the hold covers a few seconds of it. */
  spent(amount: number, now: number): void {
    this.spend.push({ at: now, amount });
    while ((this.spend[0]?.at ?? now) <= now - RATE_WINDOW_MS) this.spend.shift();
  }

  /**
   * Recent spend, micro-USD per second, over the span actually observed (at least 100 ms): a subject
   * that just became busy gets a hold for its real pace at once, not one that doubles every renewal.
   */
  ratePerSec(now: number): number {
    let total = 0;
    let first = now;
    for (const s of this.spend) {
      if (s.at <= now - RATE_WINDOW_MS) continue;
      total += s.amount;
      first = Math.min(first, s.at);
    }
    return Math.ceil((total * 1000) / Math.max(100, now - first));
  }

  /**
   * The allowance to decide from at `now`, if one is usable. Past its expiry
   * it decides nothing but stays current: its renewal (due at once) may still
   * bring it back, and no second allowance is asked for meanwhile.
   */
  usable(now: number): HeldAllowance | null {
    const c = this.current;
    if (c && c.canDecide(now)) return c;
    if (c && !c.usable) this.retire(c);
    return null;
  }

  /** Stops deciding from `held`; it drains (its last flush returns it). */
  retire(held: HeldAllowance): void {
    held.usable = false;
    if (this.current === held) this.current = null;
    if (held.drained() && held.flushing === null) this.draining.delete(held);
    else this.draining.add(held);
  }

  /** Forgets a drained allowance. */
  forget(held: HeldAllowance): void {
    this.draining.delete(held);
    if (this.current === held) this.current = null;
  }

  /** True when nothing here holds anything: the registry may drop the subject. */
  idle(): boolean {
    return this.current === null && this.draining.size === 0 && this.acquiring === null;
  }

  /** Whether an acquire may be sent now (none in flight, none refused recently). */
  mayAcquire(now: number): boolean {
    return this.acquiring === null && now >= this.refusedUntil && this.current === null;
  }

  /** The acquire in flight, if any (mode "on" awaits it on the request path). */
  pending(): Promise<HeldAllowance | null> | null {
    return this.acquiring;
  }

  /** Asks the object for an allowance; one call at a time per subject. */
  acquire(
    send: (r: AcquireRequest) => Promise<AcquireResult>,
    req: AcquireRequest,
    now: () => number,
    backoffMs = REFUSAL_BACKOFF_MS,
  ): Promise<HeldAllowance | null> {
    if (this.acquiring) return this.acquiring;
    const started = now();
    // Through a promise: a ledger that cannot even be asked (a throwing stub) is a refusal, not a 500.
    this.acquiring = Promise.resolve()
      .then(() => send(req))
      .then((res) => {
        if ("none" in res) {
          this.refusedUntil = started + backoffMs;
          return null;
        }
        const held = new HeldAllowance(res.grant, now());
        this.current = held;
        return held;
      })
      .catch((e: unknown) => {
        this.refusedUntil = started + backoffMs;
        return null;
      })
      .finally(() => {
        this.acquiring = null;
      });
    return this.acquiring;
  }
}
