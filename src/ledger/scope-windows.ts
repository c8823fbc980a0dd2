/**
 * Every scope window of a tenant at once, for the dashboard's gauges: the
 * tenant, each feature (configured or spending this month) and the users who
 * spent most this month, each with limit, spent, reserved and reset. The
 * same window states the reservation decides on, read without changing
 * anything.
 */
import { featureLimits, tenantLimits, userLimits } from "../budget/limits";
import { windowsAt } from "../budget/windows";
import { tenant } from "./admin";
import { adjustmentsOf } from "./reallocations";
import { scopeKey, windowStates, type LimitedScope } from "./scopes";
import type { Ledger } from "./state";

/** One scope in one window; money in micro-USD. */
export interface ScopeWindowLine {
  scope: "tenant" | "feature" | "user";
  id: string;
  window: "daily" | "monthly";
  windowKey: string;
  limit: number | null;
  spent: number;
  reserved: number;
  resetAt: number;
}

/** Most features a single answer lists (a tenant rarely has more; the rest are in the usage report). */
const MAX_FEATURES = 200;

/** The tenant's scope windows now; null when the tenant does not exist. */
export function scopeWindows(l: Ledger, topUsers: number, now = Date.now()): { timezone: string; lines: ScopeWindowLine[] } | null {
  const t = tenant(l);
  if (!t) return null;
  const cfg = t.config;
  const windows = windowsAt(now, cfg.timezone);
  const month = windows.monthly.key;
  const bySpend = (prefix: string) =>
    l.store
      .counterRows(prefix, month)
      .sort((a, b) => b.spent - a.spent || a.scope.localeCompare(b.scope))
      .map((r) => r.scope.slice(prefix.length));
  const features = [...new Set([...bySpend("feature:"), ...l.store.featureIds()])].slice(0, MAX_FEATURES);
  const users = bySpend("user:").slice(0, topUsers);

  const scopes: LimitedScope[] = [
    { ref: { kind: "tenant", id: "" }, limits: tenantLimits(cfg), softPct: cfg.softLimitPct, plan: cfg.plan },
    ...features.map((id): LimitedScope => {
      const f = l.store.feature(id);
      return { ref: { kind: "feature", id }, limits: featureLimits(f), softPct: f?.softLimitPct ?? cfg.softLimitPct, plan: f?.plan };
    }),
    ...users.map((id): LimitedScope => {
      const u = l.store.user(id);
      return { ref: { kind: "user", id }, limits: userLimits(cfg, u), softPct: u?.softLimitPct ?? cfg.softLimitPct };
    }),
  ];
  // Applied reallocations move monthly limits: the gauges show the limits reservations are checked against.
  const adjustments = adjustmentsOf(l);
  for (const s of scopes) s.adjust = adjustments.get(scopeKey(s.ref));
  const counters = l.store.counters(
    scopes.map((s) => scopeKey(s.ref)),
    [windows.daily.key, month],
  );
  const lines = windowStates(scopes, windows, counters).map((w): ScopeWindowLine => ({
    scope: w.scope.kind as ScopeWindowLine["scope"],
    id: w.scope.id,
    window: w.window,
    windowKey: w.key,
    limit: w.limit,
    spent: w.spent,
    reserved: w.reserved,
    resetAt: w.resetAt,
  }));
  return { timezone: cfg.timezone, lines };
}
