/**
 * Committed-use discounts, as pure integer arithmetic (DESIGN "Budgets that
 * move", Commitments). A tenant that commits to `monthlyUsd` a month pays
 * `discountPct` less on every call: the discount rides inside the call's
 * `Rates` as `netBps` (10 000 − the discount in basis points), so the object's
 * settle, the edge's local settle and the reserve ceiling all apply it the
 * same way. The net cost of a call is its exact list cost times `netBps`,
 * rounded up once; reserve amounts are rounded up too, so the net ceiling
 * still bounds the net settlement.
 *
 * The monthly figures (utilization, projection, shortfall) and the alert
 * thresholds are here too. The month-end projection is the linear
 * month-to-date pace, the same pace the burn-rate forecast uses.
 */

/** A tenant's commitment as configured: USD per month, and the discount in percent (25 = 25% off). */
export interface Commitment {
  monthlyUsd: number;
  discountPct: number;
}

/** Basis points of the list price a call pays with no discount. */
export const FULL_BPS = 10_000;

/** A call's cost at the list price and net of the discount, micro-USD. */
export interface CallCosts {
  list: number;
  net: number;
}

/** The share of the list price paid, in basis points (10 000 without a commitment). */
export function netBpsOf(c: Commitment | null | undefined): number {
  if (!c) return FULL_BPS;
  const off = Math.round(c.discountPct * 100);
  return Math.min(FULL_BPS, Math.max(1, FULL_BPS - off));
}

/** ⌈a × b / d⌉ exactly for non-negative integers (BigInt past 2^53), else in floating point. */
export function mulDivCeil(a: number, b: number, d: number): number {
  if (Number.isInteger(a) && Number.isInteger(b) && Number.isInteger(d) && a >= 0 && b >= 0 && d > 0) {
    const p = a * b;
    if (Number.isSafeInteger(p)) {
      // The float quotient can land one off next to an integer; the exact remainder settles it.
      let q = Math.floor(p / d);
      let r = p - q * d;
      if (r < 0) {
        q -= 1;
        r += d;
      } else if (r >= d) {
        q += 1;
        r -= d;
      }
      return r > 0 ? q + 1 : q;
    }
    const D = BigInt(d);
    return Number((BigInt(a) * BigInt(b) + D - 1n) / D);
  }
  return Math.ceil((a * b) / d);
}

/**
 * List and net cost of a call whose exact cost is `exact` in micro-USD × 10⁶
 * (the unrounded sum of tokens × per-million rates): each rounded up once.
 */
export function callCosts(exact: number, netBps: number = FULL_BPS): CallCosts {
  const list = Math.ceil(exact / 1_000_000);
  if (netBps >= FULL_BPS) return { list, net: list };
  return { list, net: mulDivCeil(exact, netBps, FULL_BPS * 1_000_000) };
}

/** A reserve-side amount (micro-USD, or a per-million rate) net of the discount, rounded up: never under-reserve. */
export function netCeil(micros: number, netBps: number = FULL_BPS): number {
  return netBps >= FULL_BPS ? micros : mulDivCeil(micros, netBps, FULL_BPS);
}

/**
 * The charge when the provider's cost is unknown (`ceiling`): the net amount
 * reserved, or the measured cost when higher. The list price beside it is
 * the measured list, or the reserved amount grossed back up to list.
 */
export function ceilingCharge(measured: CallCosts, amount: number, netBps: number = FULL_BPS): CallCosts {
  if (measured.net >= amount) return measured;
  return { net: amount, list: Math.max(measured.list, netBps >= FULL_BPS ? amount : mulDivCeil(amount, FULL_BPS, netBps)) };
}

/** Below this much of the month elapsed the projection is the month-to-date spend (as the burn-rate forecast waits). */
export const MIN_PROJECTION_MS = 6 * 3_600_000;
/** Underuse is judged only after a week: a quiet first night or weekend is not a month's pace. */
export const UNDERUSE_AFTER_MS = 7 * 24 * 3_600_000;

/**
 * Month-end net spend at the month-to-date pace: `net × month length / elapsed`;
 * the spend itself for a month that is over, not begun, or less than
 * {@link MIN_PROJECTION_MS} in. Never below what is already spent.
 */
export function projectMonth(net: number, monthStart: number, monthEnd: number, now: number): number {
  const elapsed = now - monthStart;
  if (now >= monthEnd || elapsed < MIN_PROJECTION_MS) return net;
  return Math.max(net, Math.round((net * (monthEnd - monthStart)) / elapsed));
}

/** The report block, money in USD. */
export interface CommitmentReport {
  committedUsd: number;
  listUsd: number;
  netUsd: number;
  savingsUsd: number;
  /** Net over committed, 4 decimals. */
  utilization: number;
  /** Month-end net at the month-to-date pace ({@link projectMonth}). */
  projectedUsd: number;
  /** What the commitment leaves unused at that pace: max(0, committed − projected). */
  projectedShortfallUsd: number;
}

const usd = (micros: number) => micros / 1_000_000;

/** The block for a month: `list` and `net` spent so far and `projected` net, micro-USD. */
export function commitmentReport(c: Commitment, list: number, net: number, projected: number): CommitmentReport {
  const committed = Math.round(c.monthlyUsd * 1_000_000);
  return {
    committedUsd: c.monthlyUsd,
    listUsd: usd(Math.max(list, net)),
    netUsd: usd(net),
    savingsUsd: usd(Math.max(0, list - net)),
    utilization: committed > 0 ? Math.round((net / committed) * 10_000) / 10_000 : 0,
    projectedUsd: usd(projected),
    projectedShortfallUsd: usd(Math.max(0, committed - projected)),
  };
}

/** The alert a month's projection calls for, if any. */
export type CommitmentAlert = "commitment_underuse" | "commitment_overrun";

/** The band around the commitment a projection may stay in without an alert: ±10%. */
export const BAND = { under: 0.9, over: 1.1 } as const;

/**
 * Overrun when the projection is above 110% of the commitment (as soon as it
 * can be projected, or at once when the spend itself is past it); underuse
 * when it is below 90%, once {@link UNDERUSE_AFTER_MS} of the month has passed.
 * Exactly on a bound is inside the band.
 */
export function judgeCommitment(committed: number, net: number, monthStart: number, monthEnd: number, now: number): CommitmentAlert | null {
  if (committed <= 0 || now < monthStart || now >= monthEnd) return null;
  const projected = projectMonth(net, monthStart, monthEnd, now);
  // Integer comparisons: projected / committed against 11/10 and 9/10.
  if (projected * 10 > committed * 11) return "commitment_overrun";
  if (now - monthStart >= UNDERUSE_AFTER_MS && projected * 10 < committed * 9) return "commitment_underuse";
  return null;
}
