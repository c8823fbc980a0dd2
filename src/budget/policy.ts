/**
 * The budget decision, as a pure function of what the ledger read. Keeping it
 * free of I/O lets the Durable Object call it inside its transaction and lets
 * the unit tests walk every boundary without a runtime.
 */
import type { Candidate, ScopeKind, ScopeWindow, Tightest, Warning } from "./types";

/** Everything the decision needs; money in micro-USD. */
export interface DecideInput {
  windows: readonly ScopeWindow[];
  primary: Candidate;
  /** The tenant's cheaper mapping for the model, tried past the soft limit. */
  degraded?: Candidate;
  /** Output cap the client asked for, if any. */
  requestedMaxTokens: number | null;
  /** Output tokens to reserve when the client set no cap (learned per tenant and model). */
  expectedOutputTokens: number;
  /** The most the model can produce when uncapped. */
  modelMaxOutputTokens: number;
  /** Smallest useful completion: below this, block instead of clamping. */
  minOutputTokens: number;
  mode: "enforce" | "shadow";
}

/** The decision the ledger acts on. */
export type Decision =
  | {
      action: "allow";
      model: string;
      degradedFrom?: string;
      /** Micro-USD to reserve in every scope. */
      amount: number;
      /** Output tokens the reservation covers. */
      outputTokens: number;
      /** When set, forward this as the request's output cap (clamped or added). */
      forwardMaxTokens?: number;
      /** True when the client's own cap was lowered to fit. */
      clamped: boolean;
      warnings: Warning[];
      tightest: Tightest | null;
      /** In shadow mode: the block code enforcement would have returned. */
      shadowCode?: string;
    }
  | {
      action: "block";
      code: string;
      blocking: ScopeWindow;
      /** Micro-USD the smallest acceptable version of the request needed. */
      needed: number;
      tightest: Tightest | null;
    };

const SPECIFICITY: Record<ScopeKind, number> = { user_feature: 0, user: 1, feature: 2, tenant: 3, global: 4 };

/** Cost in micro-USD of `tokens` at `ratePerMillion` micro-USD, rounded up so estimates never under-reserve. */
export function tokensCost(tokens: number, ratePerMillion: number): number {
  return Math.ceil((tokens * ratePerMillion) / 1_000_000);
}

/** Budget left in a window, never negative. */
export function remainingOf(w: ScopeWindow): number {
  return w.limit === null ? Number.POSITIVE_INFINITY : Math.max(0, w.limit - w.spent - w.reserved);
}

/** The machine-readable code for a block at `w`, e.g. `user_daily_budget_exceeded`. */
export function blockCode(w: Pick<ScopeWindow, "scope" | "window">): string {
  return `${w.scope.kind}_${w.window}_budget_exceeded`;
}

/** The limited window with the least room left (ties go to the more specific scope). */
export function tightestWindow(windows: readonly ScopeWindow[], extra = 0): Tightest | null {
  let best: ScopeWindow | null = null;
  let bestRemaining = Number.POSITIVE_INFINITY;
  for (const w of windows) {
    if (w.limit === null) continue;
    const r = Math.max(0, remainingOf(w) - extra);
    if (best === null || r < bestRemaining || (r === bestRemaining && SPECIFICITY[w.scope.kind] < SPECIFICITY[best.scope.kind])) {
      best = w;
      bestRemaining = r;
    }
  }
  if (!best || best.limit === null) return null;
  return { scope: best.scope, window: best.window, limit: best.limit, remaining: bestRemaining, resetAt: best.resetAt };
}

type Fit = { ok: true; amount: number; outputTokens: number; forwardMaxTokens?: number; clamped: boolean } | { ok: false; needed: number };

/** Whether `c` fits every limited window, possibly with a lower output cap. */
function fit(input: DecideInput, c: Candidate, allowClamp: boolean): Fit {
  let minRemaining = Number.POSITIVE_INFINITY;
  for (const w of input.windows) minRemaining = Math.min(minRemaining, remainingOf(w));

  const expected = input.requestedMaxTokens ?? input.expectedOutputTokens;
  const hardCap = input.requestedMaxTokens ?? input.modelMaxOutputTokens;
  const full = c.inputCost + tokensCost(expected, c.outputRate);
  // The most output tokens the tightest window can pay for after the input.
  const maxFit =
    minRemaining === Number.POSITIVE_INFINITY
      ? Number.POSITIVE_INFINITY
      : c.outputRate > 0
        ? Math.floor(((minRemaining - c.inputCost) * 1_000_000) / c.outputRate)
        : minRemaining >= c.inputCost
          ? Number.POSITIVE_INFINITY
          : -1;

  if (full <= minRemaining) {
    // Without a client cap the call could run past the budget: add one where the budget needs it.
    const forward = allowClamp && maxFit < hardCap && hardCap > 0 ? maxFit : undefined;
    return { ok: true, amount: full, outputTokens: expected, forwardMaxTokens: forward, clamped: false };
  }
  const floor = Math.max(1, Math.min(input.minOutputTokens, hardCap));
  if (allowClamp && hardCap > 0 && maxFit >= floor && maxFit < hardCap) {
    return {
      ok: true,
      amount: c.inputCost + tokensCost(maxFit, c.outputRate),
      outputTokens: maxFit,
      forwardMaxTokens: maxFit,
      clamped: input.requestedMaxTokens !== null,
    };
  }
  return { ok: false, needed: c.inputCost + tokensCost(Math.min(floor, hardCap), c.outputRate) };
}

/** Soft-limit crossings if `amount` more is reserved. */
function warningsFor(windows: readonly ScopeWindow[], amount: number): Warning[] {
  const out: Warning[] = [];
  for (const w of windows) {
    if (w.limit === null || w.limit <= 0) continue;
    const used = (w.spent + w.reserved + amount) / w.limit;
    if (used >= w.softPct) {
      out.push({ scope: w.scope, window: w.window, key: w.key, pct: Math.floor(used * 100), threshold: w.softPct });
    }
  }
  return out;
}

function blockingWindow(windows: readonly ScopeWindow[], needed: number): ScopeWindow {
  let best: ScopeWindow | undefined;
  for (const w of windows) {
    if (w.limit === null || remainingOf(w) >= needed) continue;
    if (
      !best ||
      remainingOf(w) < remainingOf(best) ||
      (remainingOf(w) === remainingOf(best) && SPECIFICITY[w.scope.kind] < SPECIFICITY[best.scope.kind])
    ) {
      best = w;
    }
  }
  if (!best) throw new Error("blockingWindow called for a request that fits");
  return best;
}

/**
 * Decide allow / warn / degrade / clamp / block for one request against every
 * window it falls under. Degrade happens past the soft limit (or where only
 * the cheaper model fits) and prices the reservation at the cheaper model.
 */
export function decide(input: DecideInput): Decision {
  const enforce = input.mode === "enforce";
  const primary = fit(input, input.primary, enforce);
  const primarySoft = primary.ok ? warningsFor(input.windows, primary.amount).length > 0 : true;

  let chosen = input.primary;
  let result = primary;
  let degradedFrom: string | undefined;
  if (enforce && input.degraded && primarySoft) {
    const alt = fit(input, input.degraded, true);
    if (alt.ok) {
      chosen = input.degraded;
      result = alt;
      degradedFrom = input.primary.model;
    }
  }

  if (!result.ok) {
    const blocking = blockingWindow(input.windows, result.needed);
    if (enforce) {
      return { action: "block", code: blockCode(blocking), blocking, needed: result.needed, tightest: tightestWindow(input.windows) };
    }
    // Shadow mode: count the call at its full estimate, as it will run, and say what enforcement would do.
    const expected = input.requestedMaxTokens ?? input.expectedOutputTokens;
    const amount = input.primary.inputCost + tokensCost(expected, input.primary.outputRate);
    return {
      action: "allow",
      model: input.primary.model,
      amount,
      outputTokens: expected,
      clamped: false,
      warnings: warningsFor(input.windows, amount),
      tightest: tightestWindow(input.windows, amount),
      shadowCode: blockCode(blocking),
    };
  }

  return {
    action: "allow",
    model: chosen.model,
    degradedFrom,
    amount: result.amount,
    outputTokens: result.outputTokens,
    forwardMaxTokens: result.forwardMaxTokens,
    clamped: result.clamped,
    warnings: warningsFor(input.windows, result.amount),
    tightest: tightestWindow(input.windows, result.amount),
  };
}
