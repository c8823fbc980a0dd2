/**
 * How big a lease the GlobalLedger grants: enough for the request at hand,
 * sized to the tenant's recent rate, and smaller as global budget runs out,
 * so the last dollars are spread across tenants instead of parked in one.
 * Pure, so its bounds are unit-tested.
 */

/** Inputs to {@link leaseSize}; money in micro-USD. */
export interface LeaseSizing {
  /** What the tenant needs right now (at least). */
  want: number;
  /** The tenant's recent spend rate, micro-USD per second. */
  ratePerSec: number;
  /** Global budget not yet committed nor leased, in the tightest window. */
  headroom: number;
  /** Leases currently held by other tenants. */
  holders: number;
  /** Operator's cap on one lease. */
  cap: number;
  /** Lease lifetime in seconds: a lease should last about this long at the tenant's rate. */
  ttlSec: number;
}

/** The grant: never more than the headroom (so committed + outstanding ≤ limit), zero when none is left. */
export function leaseSize(s: LeaseSizing): number {
  if (s.headroom <= 0) return 0;
  // Enough for two lease lifetimes at the tenant's pace (at least a starter 1% of the cap, so a new
  // tenant does not come back on its second request), but no more than a fair share of what is left.
  const byRate = Math.max(Math.ceil(s.ratePerSec * s.ttlSec * 2), Math.ceil(s.cap / 100));
  const fairShare = Math.floor(s.headroom / (2 * (s.holders + 1)));
  const target = Math.min(s.cap, Math.max(s.want, Math.min(byRate, fairShare)));
  return Math.max(0, Math.min(s.headroom, target));
}
