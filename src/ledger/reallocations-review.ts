/**
 * What the monthly review adds for reallocations: the open (pending)
 * requests of the month, the sources (user and feature scopes under 50%
 * utilization, with how much each can give and stay at or under 50% of its
 * reduced limit), and on every line a `suggestion` whose "Request +$X"
 * carries the reallocation body that would satisfy it: from the feature with
 * the most room that can give all of X, or null when none can. Sources and
 * bodies are for the current month only: a past month can no longer move.
 */
import { pickSource, sourcesOf, type ReallocationInput, type ScopeUse, type Source } from "../budget/reallocation";
import { currentMonth, listOpen, monthWindow, type Reallocation } from "./reallocations";
import { requestIncreaseUsd, type ReviewLine } from "./reports";
import type { Ledger } from "./state";
import type { CounterRow, TenantRow } from "./storage";
import { ReallocationStore } from "./storage/reallocations";

/** Declared users considered as sources at most (features are all considered). */
const MAX_USER_CANDIDATES = 1000;
/** Sources listed at most. */
const MAX_SOURCES = 20;

/** A review line's suggested action and, for "Request +$X", the request body that would satisfy it. */
export interface Suggestion {
  action: string;
  reallocation: ReallocationInput | null;
}

/** The review's reallocation part. */
export interface ReviewReallocations {
  open: Reallocation[];
  sources: Source[];
}

/** A review with its reallocation part: each line's suggestion, the open requests and the sources. */
export type ReallocationReview<R extends { features: ReviewLine[] }> = Omit<R, "features"> & {
  features: (ReviewLine & { suggestion: Suggestion })[];
  reallocations: ReviewReallocations;
};

/** Every user and feature scope this month could take from, with limit and use. */
function scopeUses(l: Ledger, t: TenantRow, month: string, now: number, open: readonly Reallocation[]): ScopeUse[] {
  const win = `month:${month}`;
  const counters = new Map<string, CounterRow>();
  for (const prefix of ["feature:", "user:"]) for (const r of l.store.counterRows(prefix, win)) counters.set(`${r.scope}\u0000${r.win}`, r);
  const scopes = new Set<string>([...counters.values()].map((r) => r.scope));
  for (const f of l.store.featureIds()) scopes.add(`feature:${f}`);
  for (const u of new ReallocationStore(l.sql).userIds(MAX_USER_CANDIDATES)) scopes.add(`user:${u}`);
  for (const k of l.store.keys()) if (k.user_id !== null) scopes.add(`user:${k.user_id}`);
  const pendingOut = new Map<string, number>();
  for (const r of open) pendingOut.set(r.from, (pendingOut.get(r.from) ?? 0) + Math.round(r.amountUsd * 1_000_000));
  return [...scopes].map((scope) => {
    const w = monthWindow(l, t, scope, now, counters);
    return { scope, limit: w.limit, used: w.spent + w.reserved, pendingOut: pendingOut.get(scope) ?? 0 };
  });
}

function reasonFor(month: string, line: ReviewLine): string {
  const pct = line.utilization === null ? "" : ` at ${Math.round(line.utilization * 100)}%`;
  return `Review ${month}: feature ${line.feature}${pct} of its $${(line.allocatedUsd ?? 0).toFixed(2)} monthly limit (${line.action})`;
}

/** The review with open requests, sources and each line's suggestion. */
export function withReallocations<R extends { month: string; features: ReviewLine[] }>(
  l: Ledger,
  t: TenantRow,
  report: R,
  now = Date.now(),
): ReallocationReview<R> {
  const open = listOpen(l, report.month);
  const live = report.month === currentMonth(t, now);
  const all = live ? sourcesOf(scopeUses(l, t, report.month, now, open), Number.POSITIVE_INFINITY) : [];
  const features = report.features.map((line) => {
    let reallocation: ReallocationInput | null = null;
    if (live && line.allocatedUsd !== null && line.action.startsWith("Request +$")) {
      const to = `feature:${line.feature}`;
      const amountUsd = requestIncreaseUsd(line.allocatedUsd, line.trend);
      const from = pickSource(all, amountUsd, to, "feature");
      if (from) reallocation = { from: from.scope, to, amountUsd, reason: reasonFor(report.month, line) };
    }
    return { ...line, suggestion: { action: line.action, reallocation } };
  });
  return { ...report, features, reallocations: { open, sources: all.slice(0, MAX_SOURCES) } };
}
