/**
 * The arithmetic of a burst draw, pure: which pool a request that does not
 * fit draws on, how much, and how the scope's windows look with and without
 * it. Money in micro-USD.
 *
 * A scope's counters hold all its spend, pool-funded or not (it is real
 * spend). What the pools of the scope funded in a window ("drawn") is kept
 * in the pools' own counters, so the scope's own spend is
 * `spent + reserved − drawn` and must stay within its limit. A request that
 * does not fit is decided again with the limit raised by what was drawn
 * (so the check is on own spend) plus what the chosen pool may give this
 * request (`min(remaining, maxPerRequest)`); it then draws only the excess,
 * `D = max over the scope's windows of (own + amount − limit)`, held in
 * the pool like a reservation. At settle the pool pays what the call's cost
 * takes the scope's own spend past its limit then: at most
 * `min(D, max(0, cost − (amount − D)))` (the excess is the last money spent),
 * and less when room came back meanwhile (another call settled lower, an
 * allowance hold was returned unspent).
 */
import type { Decision } from "../budget/policy";
import type { ScopeWindow } from "../budget/types";
import { scopeKey } from "./scopes";

/** A pool as the draw sees it, read inside the reservation's transaction. */
export interface PoolView {
  id: string;
  /** `tenant`, `user:<id>` or `feature:<id>` (a counter scope key). */
  scope: string;
  amount: number;
  maxPerRequest: number | null;
  expiresAt: number;
  /** Stored state `active` (a closed or pending pool only credits what it drew). */
  active: boolean;
  /** Spent + reserved of the pool in total. */
  used: number;
  /** Spent + reserved of the pool per counter window key (`day:…`, `month:…`). */
  drawn: Readonly<Record<string, number>>;
}

/** One pool's share of one request. */
export interface Draw {
  poolId: string;
  scope: string;
  amount: number;
  /** The scope's limited windows at the draw, `[window key, limit]`: the settlement judges the excess against them. */
  limits: [string, number][];
}

/** A decision that allows or blocks (a per-call refusal never reaches the draw). */
export type BudgetOutcome = Exclude<Decision, { action: "deny" }>;

/** What the draw step decided. */
export interface DrawPlan {
  /** The decision to act on, or null: keep the original block. */
  decision: BudgetOutcome | null;
  /** The pools this request draws on (amount > 0 each); empty when it fits on own budget. */
  draws: Draw[];
  /** The windows as the scopes' own budgets see them after this request's draws (headers, soft alerts). */
  own: ScopeWindow[];
  /** Pools a request needed more from than they had left. */
  exhausted: string[];
}

/** What {@link planDraw} needs. */
export interface DrawInput {
  /** Every window the request falls under, as read (global included). */
  states: readonly ScopeWindow[];
  /** Every pool of the request's scopes the ledger keeps (active ones and any that drew lately). */
  pools: readonly PoolView[];
  now: number;
  /** Output tokens (total) the request wants before any clamp; a decision below it did not fit. */
  targetOutput: number;
  /** The budget decision over a set of windows (the same inputs as the first decision otherwise). */
  decide: (windows: ScopeWindow[]) => Decision;
}

/** Pools looked at before giving up; a request has at most 4 scopes and a scope a few pools. */
const MAX_STEPS = 16;

/** What is left of a pool, never negative. */
export function poolRemaining(p: Pick<PoolView, "amount" | "used">): number {
  return Math.max(0, p.amount - p.used);
}

/** What a pool may give one request: its remaining, within its per-request cap. */
export function poolOffer(p: PoolView): number {
  return Math.min(poolRemaining(p), p.maxPerRequest ?? Number.POSITIVE_INFINITY);
}

/** Whether a pool can be drawn on now: active, unexpired, something left. */
export function drawable(p: PoolView, now: number): boolean {
  return p.active && p.expiresAt > now && poolRemaining(p) > 0;
}

/** A scope's pools in the order they are drawn: earliest expiry first. */
export function drawOrder(pools: readonly PoolView[], scope: string, now: number): PoolView[] {
  return pools
    .filter((p) => p.scope === scope && drawable(p, now))
    .sort((a, b) => a.expiresAt - b.expiresAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** What the pools of a scope have funded in a window. */
export function drawnIn(pools: readonly PoolView[], scope: string, win: string): number {
  let sum = 0;
  for (const p of pools) if (p.scope === scope) sum += p.drawn[win] ?? 0;
  return sum;
}

/** The window's own spend: all of it minus what the scope's pools funded. */
export function ownUsed(w: ScopeWindow, pools: readonly PoolView[]): number {
  return w.spent + w.reserved - drawnIn(pools, scopeKey(w.scope), w.key);
}

/**
 * The windows a request is decided against when it may draw: every window of
 * a scope with pools gets its limit raised by what the pools funded there
 * (the check is on own spend) and by the offer of the pool chosen for the
 * scope; the soft threshold stays at the same amount of own spend, so
 * warnings and degrade still begin where they did.
 */
export function raisedWindows(states: readonly ScopeWindow[], pools: readonly PoolView[], chosen: ReadonlyMap<string, PoolView>): ScopeWindow[] {
  return states.map((w) => {
    const scope = scopeKey(w.scope);
    if (w.limit === null || w.scope.kind === "global" || !pools.some((p) => p.scope === scope)) return w;
    const pick = chosen.get(scope);
    const drawn = drawnIn(pools, scope, w.key);
    const limit = w.limit + drawn + (pick ? poolOffer(pick) : 0);
    return { ...w, limit, softPct: limit > 0 ? (w.softPct * w.limit + drawn) / limit : w.softPct };
  });
}

/** How far `amount` more takes a scope's own spend past its limit, at the worst of its windows (0: it fits). */
export function excessOf(states: readonly ScopeWindow[], pools: readonly PoolView[], scope: string, amount: number): number {
  let excess = 0;
  for (const w of states) {
    if (w.limit === null || scopeKey(w.scope) !== scope) continue;
    excess = Math.max(excess, ownUsed(w, pools) + amount - w.limit);
  }
  return excess;
}

/** The scopes' own view after the draws: what the pools fund taken out of `spent` (amount still to add). */
export function ownWindows(states: readonly ScopeWindow[], pools: readonly PoolView[], draws: readonly Draw[]): ScopeWindow[] {
  return states.map((w) => {
    const scope = scopeKey(w.scope);
    if (w.scope.kind === "global" || !pools.some((p) => p.scope === scope)) return w;
    const drawnNow = draws.filter((d) => d.scope === scope).reduce((s, d) => s + d.amount, 0);
    return { ...w, spent: w.spent - drawnIn(pools, scope, w.key) - drawnNow };
  });
}

/** One limited window of the drawing scope at settle, read after the call's cost was counted in it. */
export interface SettleWindow {
  limit: number;
  /** The scope's spent + reserved, this call's cost in and its reservation out. */
  used: number;
  /** Spent + reserved of all the scope's pools in the window (this draw's hold still in, when `held`). */
  drawn: number;
}

/**
 * A pool's share of a settled call: how far the call's cost takes the scope's
 * own spend past its limit, at the worst window, never more than the draw.
 * `held` is the draw still reserved in the pool (0 when the reservation
 * expired and gave it back).
 */
export function settleShare(draw: number, held: number, windows: readonly SettleWindow[]): number {
  let need = 0;
  for (const w of windows) need = Math.max(need, w.used - (w.drawn - held) - w.limit);
  return Math.min(draw, need);
}

/** The scope a decision ran short at: where it blocked, or the tightest window of an allow that cut the output. */
function shortAt(d: Decision, targetOutput: number): string | null {
  if (d.action === "block") return d.blocking.scope.kind === "global" ? null : scopeKey(d.blocking.scope);
  if (d.action === "allow" && d.outputTokens < targetOutput && d.tightest && d.tightest.scope.kind !== "global") {
    return scopeKey(d.tightest.scope);
  }
  return null;
}

/**
 * Decides a request that did not fit its own budgets again with the pools of
 * its scopes: first crediting only what they funded already (own spend may
 * still have room), then adding, scope by scope where it still falls short,
 * the earliest-expiring pool with something left (the next one when that is
 * not enough). Returns the decision with the draws, or keeps the block.
 */
export function planDraw(c: DrawInput): DrawPlan {
  const chosen = new Map<string, PoolView>();
  const exhausted = new Set<string>();
  const keep = (): DrawPlan => ({ decision: null, draws: [], own: [...c.states], exhausted: [...exhausted] });
  for (let step = 0; step < MAX_STEPS; step++) {
    const d = c.decide(raisedWindows(c.states, c.pools, chosen));
    if (d.action === "deny") return keep();
    const short = shortAt(d, c.targetOutput);
    const pick = short ? chosen.get(short) : undefined;
    if (short && pick && d.action === "block" && excessOf(c.states, c.pools, short, d.needed) > poolRemaining(pick)) {
      exhausted.add(pick.id);
    }
    const order = short ? drawOrder(c.pools, short, c.now) : [];
    const next = pick ? order[order.indexOf(pick) + 1] : order[0];
    // An allow that a pool already widened is as good as it gets: take it (clamped within the pool's offer).
    const done = short === null || next === undefined || (d.action === "allow" && pick !== undefined);
    if (!done && short) {
      chosen.set(short, next as PoolView);
      continue;
    }
    if (d.action === "block" && d.blocking.scope.kind !== "global") return keep();
    if (d.action === "block") return { decision: d, draws: [], own: [...c.states], exhausted: [...exhausted] };
    const draws: Draw[] = [];
    for (const [scope, p] of chosen) {
      const amount = excessOf(c.states, c.pools, scope, d.amount);
      const limits = c.states.flatMap((w): [string, number][] => (w.limit !== null && scopeKey(w.scope) === scope ? [[w.key, w.limit]] : []));
      if (amount > 0) draws.push({ poolId: p.id, scope, amount, limits });
    }
    return { decision: d, draws, own: ownWindows(c.states, c.pools, draws), exhausted: [...exhausted] };
  }
  return keep();
}
