/**
 * Where a scope's limits come from. Resolution is per window: the user's own
 * override, else the tenant's named tier, else the tenant's userDefaults, else
 * unlimited (counted under the tenant). `null` at any level means explicitly
 * unlimited and stops the search.
 */
import type { FeatureConfig, Limits, Plan, TenantConfig, UserConfig } from "./tenant-config";

/** Resolved limits in USD; absent means unlimited. */
export interface ResolvedLimits {
  daily?: number;
  monthly?: number;
}

function pick(window: "daily" | "monthly", ...levels: (Limits | undefined)[]): number | undefined {
  for (const level of levels) {
    if (!level) continue;
    const v = level[window];
    if (v === null) return undefined;
    if (v !== undefined) return v;
  }
  return undefined;
}

function resolve(...levels: (Limits | undefined)[]): ResolvedLimits {
  const out: ResolvedLimits = {};
  const daily = pick("daily", ...levels);
  const monthly = pick("monthly", ...levels);
  if (daily !== undefined) out.daily = daily;
  if (monthly !== undefined) out.monthly = monthly;
  return out;
}

/** The tenant's own limits. */
export function tenantLimits(t: TenantConfig): ResolvedLimits {
  return resolve(t.limits);
}

/** A user's limits: override, else tier, else userDefaults, else unlimited. */
export function userLimits(t: TenantConfig, user: UserConfig | undefined): ResolvedLimits {
  const tier = user?.tier ? t.tiers[user.tier] : undefined;
  return resolve(user?.limits, tier, t.userDefaults);
}

/** A feature's limits: its override, else unlimited. */
export function featureLimits(feature: FeatureConfig | undefined): ResolvedLimits {
  return resolve(feature?.limits);
}

/** The limits a user has on one feature, if set on the user. */
export function userFeatureLimits(user: UserConfig | undefined, feature: string): ResolvedLimits {
  return resolve(user?.featureLimits?.[feature]);
}

/** USD to integer micro-USD. */
export function toMicros(usd: number): number {
  return Math.round(usd * 1_000_000);
}

/** Integer micro-USD to USD for the JSON edge. */
export function toUsd(micros: number): number {
  return micros / 1_000_000;
}

/**
 * The most one call may cost, in USD: the smallest `maxRequestUsd` set among the
 * tenant, the user and the feature (a tighter level always wins; null at a level
 * sets nothing there). Null when none is set.
 */
export function maxRequestUsdOf(t: TenantConfig, user: UserConfig | undefined, feature: FeatureConfig | undefined): number | null {
  const set = [t.maxRequestUsd, user?.maxRequestUsd, feature?.maxRequestUsd].filter((v): v is number => typeof v === "number");
  return set.length > 0 ? Math.min(...set) : null;
}

/**
 * The monthly limit (USD) of a scope for one month: the plan's amount when the
 * month is planned, else the static monthly limit (undefined = unlimited).
 * `month` is `YYYY-MM` or a window key `month:YYYY-MM` (in the tenant's zone).
 */
export function monthlyLimitFor(staticMonthly: number | undefined, plan: Plan | undefined, month: string): number | undefined {
  const m = month.startsWith("month:") ? month.slice(6) : month;
  const planned = plan?.[m];
  return planned !== undefined ? planned : staticMonthly;
}
