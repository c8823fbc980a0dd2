/**
 * Burst pools on the reserve path, inside the reservation's transaction: a
 * request that does not fit a scope with pools is decided again with them
 * (src/ledger/bursts-draw.ts), and a draw is counted in the pool's counters
 * (`burst:<id>`, day, month and total) and kept on the reservation. A request
 * that fits, or falls short where no pool exists, reads nothing here: the
 * pools of the tenant are in memory ({@link PoolIndex}), loaded once.
 */
import { tightestWindow } from "../budget/policy";
import type { Decision } from "../budget/policy";
import type { ScopeWindow, Tightest, Warning } from "../budget/types";
import { queueAlert } from "./alerts";
import { planDraw, poolRemaining, type Draw, type DrawPlan, type PoolView } from "./bursts-draw";
import type { LedgerStore } from "./storage";
import type { BurstRow } from "./storage/bursts";

/** A pool as kept in memory (the counters are read only when a request falls short). */
export interface PoolMeta {
  id: string;
  scope: string;
  amount: number;
  maxPerRequest: number | null;
  expiresAt: number;
  active: boolean;
}

/** The tenant's pools by scope key: active ones and any that drew lately (their draws are credited). */
export type PoolIndex = ReadonlyMap<string, readonly PoolMeta[]>;

/** A draw as kept on the reservation: what it holds, in which counter rows, for which scope and limits. */
export interface StoredDraw {
  id: string;
  amount: number;
  counters: [string, string][];
  scope: string;
  limits: [string, number][];
}

/** The window key of a pool's all-time counter row. */
export const TOTAL_WIN = "total";

/** The counter scope of a pool. */
export const poolScope = (id: string): string => `burst:${id}`;

/** Builds the index from pool rows. */
export function indexPools(rows: readonly BurstRow[]): PoolIndex {
  const out = new Map<string, PoolMeta[]>();
  for (const r of rows) {
    const meta: PoolMeta = {
      id: r.id,
      scope: r.scope,
      amount: r.amount,
      maxPerRequest: r.max_per_request,
      expiresAt: r.expires_at,
      active: r.state === "active",
    };
    out.set(r.scope, [...(out.get(r.scope) ?? []), meta]);
  }
  return out;
}

/** Whether a decision fell short: a block below the global scope, or an allow with less output than wanted. */
export function fellShort(d: Decision, targetOutput: number): boolean {
  if (d.action === "block") return d.blocking.scope.kind !== "global";
  return d.action === "allow" && d.outputTokens < targetOutput;
}

/** What {@link tryPools} needs. */
export interface PoolAttempt {
  store: LedgerStore;
  index: PoolIndex;
  /** The request's scope keys and counter windows (day, month). */
  scopes: readonly string[];
  wins: readonly string[];
  states: readonly ScopeWindow[];
  now: number;
  targetOutput: number;
  decide: (windows: ScopeWindow[]) => Decision;
}

/** Plans a draw for a request that fell short, or null when none of its scopes has a pool (nothing read). */
export function tryPools(a: PoolAttempt): { plan: DrawPlan; pools: PoolView[] } | null {
  const metas = a.scopes.flatMap((s) => a.index.get(s) ?? []);
  if (metas.length === 0) return null;
  const counters = a.store.counters(
    metas.map((m) => poolScope(m.id)),
    [...a.wins, TOTAL_WIN],
  );
  const pools: PoolView[] = metas.map((m) => {
    const row = (win: string) => counters.get(`${poolScope(m.id)}\u0000${win}`);
    const used = (win: string) => (row(win)?.spent ?? 0) + (row(win)?.reserved ?? 0);
    return { ...m, used: used(TOTAL_WIN), drawn: Object.fromEntries(a.wins.map((w) => [w, used(w)])) };
  });
  const plan = planDraw({ states: a.states, pools, now: a.now, targetOutput: a.targetOutput, decide: a.decide });
  return { plan, pools };
}

/** Soft-limit crossings of the scopes' own budgets with `amount` more (as the decision reports them). */
export function ownWarnings(windows: readonly ScopeWindow[], amount: number): Warning[] {
  const out: Warning[] = [];
  for (const w of windows) {
    if (w.limit === null || w.limit <= 0) continue;
    const used = (w.spent + w.reserved + amount) / w.limit;
    if (used >= w.softPct) out.push({ scope: w.scope, window: w.window, key: w.key, pct: Math.floor(used * 100), threshold: w.softPct });
  }
  return out;
}

/** Warnings and tightest window on the scopes' own budgets, for the response headers. */
export function ownPosition(own: readonly ScopeWindow[], amount: number): { warnings: Warning[]; tightest: Tightest | null } {
  return { warnings: ownWarnings(own, amount), tightest: tightestWindow(own, amount) };
}

function poolAlert(store: LedgerStore, tenantId: string, kind: "burst_started" | "burst_exhausted", p: PoolView, used: number, now: number) {
  return queueAlert({
    store,
    tenantId,
    kind,
    scope: poolScope(p.id),
    win: "pool",
    window: "burst",
    threshold: kind === "burst_started" ? 0 : 1,
    spent: used,
    limit: p.amount,
    resetAt: p.expiresAt,
    now,
    detail: `${p.id} for ${p.scope}`,
  });
}

/** Alerts pools a request needed more from than they had left (once per pool). */
export function alertExhausted(store: LedgerStore, tenantId: string, ids: readonly string[], pools: readonly PoolView[], now: number): boolean {
  let queued = false;
  for (const p of pools) if (ids.includes(p.id)) queued = poolAlert(store, tenantId, "burst_exhausted", p, p.used, now) || queued;
  return queued;
}

/**
 * Counts a reservation's draws: `reserved += D` on each pool's day, month and
 * total rows, the draws on the reservation's row, the pool's first and last
 * draw, and the alerts (started on the first draw, exhausted when it leaves
 * nothing). Returns whether an alert was queued.
 */
export function recordDraws(
  store: LedgerStore,
  tenantId: string,
  reservationId: string,
  draws: readonly Draw[],
  pools: readonly PoolView[],
  wins: readonly string[],
  now: number,
): boolean {
  let queued = false;
  const stored: StoredDraw[] = [];
  for (const d of draws) {
    const p = pools.find((x) => x.id === d.poolId);
    if (!p) continue;
    const counters = [...wins, TOTAL_WIN].map((w): [string, string] => [poolScope(p.id), w]);
    store.bumpAll(counters, { reserved: d.amount });
    stored.push({ id: p.id, amount: d.amount, counters, scope: d.scope, limits: d.limits });
    if (store.bursts.noteDraw(p.id, now)) queued = poolAlert(store, tenantId, "burst_started", p, p.used + d.amount, now) || queued;
    if (poolRemaining({ amount: p.amount, used: p.used + d.amount }) === 0) {
      queued = poolAlert(store, tenantId, "burst_exhausted", p, p.used + d.amount, now) || queued;
    }
  }
  store.bursts.setReservationDraws(reservationId, JSON.stringify(stored));
  return queued;
}
