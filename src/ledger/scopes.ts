/**
 * Which scopes and windows a request falls under, with the limits that apply,
 * built from the tenant's stored configuration. Pure: the ledger passes in
 * what it read.
 */
import { featureLimits, monthlyLimitFor, tenantLimits, toMicros, userFeatureLimits, userLimits, type ResolvedLimits } from "../budget/limits";
import type { Adjustments } from "../budget/reallocation";
import type { FeatureConfig, Plan, TenantConfig, UserConfig } from "../budget/tenant-config";
import type { ScopeKind, ScopeRef, ScopeWindow, Tightest, Warning } from "../budget/types";
import type { WindowInfo, WindowKind } from "../budget/windows";
import type { CounterRow } from "./storage";
import type { BudgetPosition, WarningOut } from "./types";

/** Storage key of a scope's counters. */
export function scopeKey(s: ScopeRef): string {
  switch (s.kind) {
    case "tenant":
    case "global":
      return s.kind;
    case "user":
      return `user:${s.id}`;
    case "feature":
      return `feature:${s.id}`;
    case "user_feature":
      return `uf:${s.id}`;
  }
}

/** A scope with its resolved limits and soft threshold. */
export interface LimitedScope {
  ref: ScopeRef;
  limits: ResolvedLimits;
  softPct: number;
  /** Monthly plan (tenant and feature scopes): planned months override `limits.monthly`. */
  plan?: Plan;
  /** Applied reallocations: month (`YYYY-MM`) → micro-USD added to the month's limit (user and feature scopes). */
  adjust?: ReadonlyMap<string, number>;
}

/** Inputs for {@link scopesFor}. */
export interface ScopeContext {
  tenant: TenantConfig;
  userId: string;
  feature: string;
  user: UserConfig | undefined;
  featureConfig: FeatureConfig | undefined;
  /** The tenant's monthly limit adjustments (applied reallocations); required so no caller forgets them. */
  adjustments: Adjustments;
}

/** Every scope a request of (user, feature) counts in: tenant, user, feature, and user×feature where limited. */
export function scopesFor(c: ScopeContext): LimitedScope[] {
  const soft = c.tenant.softLimitPct;
  const scopes: LimitedScope[] = [
    { ref: { kind: "tenant", id: "" }, limits: tenantLimits(c.tenant), softPct: soft, plan: c.tenant.plan },
    { ref: { kind: "user", id: c.userId }, limits: userLimits(c.tenant, c.user), softPct: c.user?.softLimitPct ?? soft },
    { ref: { kind: "feature", id: c.feature }, limits: featureLimits(c.featureConfig), softPct: c.featureConfig?.softLimitPct ?? soft, plan: c.featureConfig?.plan },
  ];
  for (const s of scopes) s.adjust = c.adjustments.get(scopeKey(s.ref));
  const pair = userFeatureLimits(c.user, c.feature);
  if (pair.daily !== undefined || pair.monthly !== undefined) {
    scopes.push({ ref: { kind: "user_feature", id: `${c.userId}|${c.feature}` }, limits: pair, softPct: c.user?.softLimitPct ?? soft });
  }
  return scopes;
}

/** The scope × window states the policy decides on. */
export function windowStates(
  scopes: readonly LimitedScope[],
  windows: Record<WindowKind, WindowInfo>,
  counters: ReadonlyMap<string, CounterRow>,
): ScopeWindow[] {
  const out: ScopeWindow[] = [];
  for (const s of scopes) {
    for (const w of [windows.daily, windows.monthly]) {
      const row = counters.get(`${scopeKey(s.ref)}\u0000${w.key}`);
      const limitUsd = w.kind === "monthly" ? monthlyLimitFor(s.limits.monthly, s.plan, w.key) : s.limits[w.kind];
      out.push({
        scope: s.ref,
        window: w.kind,
        key: w.key,
        resetAt: w.resetAt,
        limit: limitUsd === undefined ? null : toMicros(limitUsd) + (w.kind === "monthly" ? (s.adjust?.get(w.key.slice(6)) ?? 0) : 0),
        spent: row?.spent ?? 0,
        reserved: row?.reserved ?? 0,
        softPct: s.softPct,
      });
    }
  }
  return out;
}

/** Human name of a scope for messages. */
export function scopeLabel(kind: ScopeKind, id: string, tenantId: string): string {
  switch (kind) {
    case "global":
      return "the guard (global)";
    case "tenant":
      return `tenant ${tenantId}`;
    case "user":
      return `user ${id}`;
    case "feature":
      return `feature ${id}`;
    case "user_feature": {
      const [u, f] = id.split("|");
      return `user ${u} on feature ${f}`;
    }
  }
}

/** `$5.00`, or more decimals where two would hide the amount. */
export function formatUsd(micros: number): string {
  const usd = micros / 1_000_000;
  if (micros % 10_000 === 0) return `$${usd.toFixed(2)}`;
  return `$${usd.toFixed(6).replace(/0+$/, "")}`;
}

/** A decision's soft-limit crossings and tightest window as the RPC answer carries them (both paths). */
export function positionOut(d: { warnings: readonly Warning[]; tightest: Tightest | null }): {
  warnings: WarningOut[];
  tightest: BudgetPosition | null;
} {
  const t = d.tightest;
  return {
    warnings: d.warnings.map((w) => ({ scope: w.scope.kind, scopeId: w.scope.id, window: w.window, pct: w.pct })),
    tightest: t
      ? { scope: t.scope.kind, scopeId: t.scope.id, window: t.window, limit: t.limit, remaining: t.remaining, resetAt: t.resetAt }
      : null,
  };
}
