/**
 * The budget decision, as a pure function of what the ledger read. Keeping it
 * free of I/O lets the Durable Object call it inside its transaction and lets
 * the unit tests walk every boundary without a runtime.
 */
import type { Candidate, ScopeKind, ScopeWindow, Tightest, Warning } from "./types";

/** Everything the decision needs; money in micro-USD, output tokens in totals across choices unless named per choice. */
export interface DecideInput {
  windows: readonly ScopeWindow[];
  primary: Candidate;
  /** The tenant's cheaper mapping for the model, tried past the soft limit. */
  degraded?: Candidate;
  /** Output cap the client asked for, total across choices, if any. */
  requestedMaxTokens: number | null;
  /** Output tokens per choice to reserve when the client set no cap (learned per tenant and model). */
  expectedOutputTokens: number;
  /** Choices the call asks for (chat `n`); default 1. */
  choices?: number;
  /** The most the model can produce per choice when uncapped; 0 for calls without output (embeddings). */
  modelMaxOutputTokens: number;
  /** Smallest useful completion per choice: below this, block instead of clamping. */
  minOutputTokens: number;
  /** The most one call may cost (the effective maxRequestUsd), or null for no per-call bound. */
  maxRequestCost?: number | null;
  /** The input has a part the guard cannot bound: reserve `maxRequestCost` in full (ignored without one). */
  reserveInFull?: boolean;
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
      /** Output tokens (total across choices) the reservation covers. */
      outputTokens: number;
      /**
       * The output cap (total across choices) to forward: set whenever it differs from the client's, so an
       * uncapped call always carries the cap it was reserved at; never above `outputTokens`.
       */
      forwardMaxTokens?: number;
      /** True when the client's own cap was lowered to fit. */
      clamped: boolean;
      warnings: Warning[];
      tightest: Tightest | null;
      /** In shadow mode: the block or deny code enforcement would have returned. */
      shadowCode?: string;
    }
  | {
      action: "block";
      code: string;
      blocking: ScopeWindow;
      /** Micro-USD the smallest acceptable version of the request needed. */
      needed: number;
      tightest: Tightest | null;
    }
  | {
      /** The call cannot fit the per-call bound even at its smallest output: a 400, not a budget block. */
      action: "deny";
      code: "request_cost_limit_exceeded";
      /** Micro-USD the smallest acceptable version of the request needed. */
      needed: number;
      /** The per-call bound in micro-USD. */
      limit: number;
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

type Fit =
  | { ok: true; amount: number; outputTokens: number; forwardMaxTokens?: number; clamped: boolean }
  | { ok: false; needed: number; perCall: boolean };

/** The output shape of a request: caps and targets in totals across choices. */
interface OutputShape {
  n: number;
  capped: boolean;
  /** The most output the call may produce: the client's cap, else the model's maximum × n (0: no output). */
  hardCap: number;
  /** What to reserve before any clamping: the client's cap, else the learned estimate × n. */
  target: number;
  /** The smallest acceptable output: minOutputTokens × n, within the hard cap. */
  floor: number;
}

function shapeOf(input: DecideInput): OutputShape {
  const n = Math.max(1, Math.floor(input.choices ?? 1));
  const capped = input.requestedMaxTokens !== null;
  const hardCap = Math.max(0, input.requestedMaxTokens ?? input.modelMaxOutputTokens * n);
  const target = capped ? hardCap : Math.min(input.expectedOutputTokens * n, hardCap);
  const floor = hardCap > 0 ? Math.max(1, Math.min(input.minOutputTokens * n, hardCap)) : 0;
  return { n, capped, hardCap, target, floor };
}

/** The most output tokens `room` micro-USD pays for after the input (-1: not even the input fits). */
function maxFitIn(room: number, c: Candidate): number {
  if (room === Number.POSITIVE_INFINITY) return Number.POSITIVE_INFINITY;
  if (room < c.inputCost) return -1;
  return c.outputRate > 0 ? Math.floor(((room - c.inputCost) * 1_000_000) / c.outputRate) : Number.POSITIVE_INFINITY;
}

/** The cap to forward: only where it differs from the client's (an uncapped call always gets one). */
function forwardCap(o: OutputShape, out: number): number | undefined {
  if (o.hardCap === 0) return undefined;
  return o.capped && out === o.hardCap ? undefined : out;
}

/** Whether `c` fits every limited window and the per-call bound, possibly with a lower output cap. */
function fit(input: DecideInput, c: Candidate): Fit {
  const o = shapeOf(input);
  let windowRoom = Number.POSITIVE_INFINITY;
  for (const w of input.windows) windowRoom = Math.min(windowRoom, remainingOf(w));
  const perCall = input.maxRequestCost ?? null;
  const callRoom = perCall ?? Number.POSITIVE_INFINITY;

  if (input.reserveInFull && perCall !== null) {
    // Part of the input cannot be bounded: the whole per-call bound is held, and the output cap must fit inside it.
    const fitsOut = maxFitIn(perCall, c);
    const out = Math.min(o.target, fitsOut);
    if (fitsOut < 0 || out < o.floor) return { ok: false, needed: c.inputCost + tokensCost(o.floor, c.outputRate), perCall: true };
    if (perCall > windowRoom) return { ok: false, needed: perCall, perCall: false };
    const rounded = Math.max(o.floor, Math.floor(out / o.n) * o.n);
    return {
      ok: true,
      amount: perCall,
      outputTokens: rounded,
      forwardMaxTokens: forwardCap(o, rounded),
      clamped: o.capped && rounded < o.hardCap,
    };
  }

  const room = Math.min(windowRoom, callRoom);
  const full = c.inputCost + tokensCost(o.target, c.outputRate);
  if (full <= room) {
    return { ok: true, amount: full, outputTokens: o.target, forwardMaxTokens: forwardCap(o, o.target), clamped: false };
  }
  const mf = maxFitIn(room, c);
  if (o.hardCap > 0 && mf >= o.floor) {
    // Clamp (whole choices only), never below the floor.
    const out = Math.max(o.floor, Math.floor(mf / o.n) * o.n);
    return { ok: true, amount: c.inputCost + tokensCost(out, c.outputRate), outputTokens: out, forwardMaxTokens: out, clamped: o.capped };
  }
  const needed = c.inputCost + tokensCost(o.floor, c.outputRate);
  // A call over the per-call bound is refused as such (retrying later cannot help), before any window.
  return { ok: false, needed, perCall: needed > callRoom };
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
 * Decide allow / warn / degrade / clamp / block / deny for one request against every
 * window it falls under and the per-call bound. Degrade happens past the soft limit (or where
 * only the cheaper model fits) and prices the reservation at the cheaper model. Shadow mode
 * never blocks, clamps or degrades: it counts the call as it will run and names what
 * enforcement would have done.
 */
export function decide(input: DecideInput): Decision {
  if (input.mode === "enforce") return decideEnforced(input);
  // What enforcement would do to this model (shadow never degrades, so the cheaper model is no way out).
  const enforced = decideEnforced({ ...input, degraded: undefined });
  const o = shapeOf(input);
  const c = input.primary;
  const asRuns = c.inputCost + tokensCost(o.target, c.outputRate);
  const amount = input.reserveInFull && input.maxRequestCost != null ? Math.max(input.maxRequestCost, asRuns) : asRuns;
  return {
    action: "allow",
    model: c.model,
    amount,
    outputTokens: o.target,
    // Still capped at what was counted: an uncapped call is forwarded with the learned estimate.
    forwardMaxTokens: forwardCap(o, o.target),
    clamped: false,
    warnings: warningsFor(input.windows, amount),
    tightest: tightestWindow(input.windows, amount),
    shadowCode: enforced.action === "allow" ? undefined : enforced.code,
  };
}

function decideEnforced(input: DecideInput): Decision {
  const primary = fit(input, input.primary);
  const primarySoft = primary.ok ? warningsFor(input.windows, primary.amount).length > 0 : true;

  let chosen = input.primary;
  let result = primary;
  let degradedFrom: string | undefined;
  if (input.degraded && primarySoft) {
    const alt = fit(input, input.degraded);
    if (alt.ok) {
      chosen = input.degraded;
      result = alt;
      degradedFrom = input.primary.model;
    }
  }

  if (!result.ok) {
    if (result.perCall)
      return { action: "deny", code: "request_cost_limit_exceeded", needed: result.needed, limit: input.maxRequestCost ?? 0 };
    const blocking = blockingWindow(input.windows, result.needed);
    return { action: "block", code: blockCode(blocking), blocking, needed: result.needed, tightest: tightestWindow(input.windows) };
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
