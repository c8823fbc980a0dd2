/**
 * Reports read from the ledger: usage per user, feature or model for a day or
 * a month (the chargeback export), and the monthly review per feature (the
 * seed's "budget review & reallocation" table).
 */
import { featureLimits, monthlyLimitFor, tenantLimits, toUsd, userLimits, type ResolvedLimits } from "../budget/limits";
import { adjustedUsd, type Adjustments } from "../budget/reallocation";
import type { CommitmentReport } from "../budget/commitment";
import type { Plan, TenantConfig } from "../budget/tenant-config";
import type { LedgerStore } from "./storage";

/** Query of a usage report. */
export interface UsageQuery {
  period: "day" | "month";
  /** `YYYY-MM-DD` for a day, `YYYY-MM` for a month. */
  at: string;
  groupBy: "user" | "feature" | "model";
}

/** One line of a usage report; money in USD. */
export interface UsageLine {
  group: string;
  spendUsd: number;
  limitUsd: number | null;
  remainingUsd: number | null;
  utilization: number | null;
  requests: number;
  /** Spend at the list price; present when a committed-use discount applies (`spendUsd` is net of it). */
  listUsd?: number;
}

/** A usage report. */
export interface UsageReport {
  period: "day" | "month";
  at: string;
  groupBy: "user" | "feature" | "model";
  total: UsageLine;
  groups: UsageLine[];
  /** Monthly reports: the committed-use discount's month (null without one); src/ledger/commitments.ts. */
  commitment?: CommitmentReport | null;
}

function line(group: string, spent: number, requests: number, limitUsd: number | undefined): UsageLine {
  const spendUsd = toUsd(spent);
  if (limitUsd === undefined) return { group, spendUsd, limitUsd: null, remainingUsd: null, utilization: null, requests };
  const limit = Math.round(limitUsd * 1_000_000);
  return {
    group,
    spendUsd,
    limitUsd,
    remainingUsd: toUsd(Math.max(0, limit - spent)),
    utilization: limit > 0 ? Math.round((spent / limit) * 10_000) / 10_000 : null,
    requests,
  };
}

/** Usage per group in one window, with each group's own limit for that window (monthly: plan and reallocations applied). */
export function usageReport(store: LedgerStore, cfg: TenantConfig, q: UsageQuery, adjust: Adjustments): UsageReport {
  const win = `${q.period}:${q.at}`;
  const window = q.period === "day" ? "daily" : "monthly";
  const tenantRow = store.counterRows("tenant", win)[0];
  // A month's limit is the plan's amount when the month is planned.
  const limitOf = (l: ResolvedLimits, plan: Plan | undefined, scope: string) =>
    window === "monthly" ? adjustedUsd(monthlyLimitFor(l.monthly, plan, q.at), adjust, scope, q.at) : l[window];
  const total = line("total", tenantRow?.spent ?? 0, tenantRow?.requests ?? 0, limitOf(tenantLimits(cfg), cfg.plan, "tenant"));
  let groups: UsageLine[];
  if (q.groupBy === "model") {
    groups = store.spendByModel(q.period, q.at).map((r) => line(r.model, r.spent, r.requests, undefined));
  } else {
    const prefix = `${q.groupBy}:`;
    groups = store.counterRows(prefix, win).map((r) => {
      const id = r.scope.slice(prefix.length);
      if (q.groupBy === "user") return line(id, r.spent, r.requests, limitOf(userLimits(cfg, store.user(id)), undefined, r.scope));
      const f = store.feature(id);
      return line(id, r.spent, r.requests, limitOf(featureLimits(f), f?.plan, r.scope));
    });
  }
  groups.sort((a, b) => b.spendUsd - a.spendUsd || a.group.localeCompare(b.group));
  return { period: q.period, at: q.at, groupBy: q.groupBy, total, groups };
}

/** One feature's line in the monthly review. */
export interface ReviewLine {
  feature: string;
  allocatedUsd: number | null;
  spentUsd: number;
  utilization: number | null;
  previousSpentUsd: number;
  /** Change against the previous month, e.g. 0.2 for +20%; null without a previous month. */
  trend: number | null;
  action: string;
}

function previousMonth(month: string): string {
  const [y, m] = month.split("-").map(Number) as [number, number];
  return m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, "0")}`;
}

/**
 * The suggested action, following the seed's review table: a feature at its
 * limit needs a discussion, one close to it and growing needs more budget,
 * one growing steadily is fine, anything else is monitored.
 */
export function suggestAction(allocated: number | null, spent: number, trend: number | null): string {
  if (allocated === null) return "No limit set: consider one";
  const util = allocated > 0 ? spent / allocated : 1;
  if (util >= 0.995) return "Hard limit active, discuss";
  if (util >= 0.9) return `Request +$${requestIncreaseUsd(allocated, trend).toFixed(2)}`;
  if (trend !== null && trend > 0.05) return "OK, growing as expected";
  return "OK, monitor";
}

/** The increase a "Request +$X" action asks for: the allocation grown by its trend, at least 20%, in whole cents up. */
export function requestIncreaseUsd(allocated: number, trend: number | null): number {
  return Math.ceil(allocated * Math.max(0.2, trend ?? 0) * 100) / 100;
}

/** The monthly review per feature: allocated (plan and reallocations applied), spent, utilization, trend, action. */
export function reviewReport(
  store: LedgerStore,
  month: string,
  adjust: Adjustments,
): { month: string; previousMonth: string; features: ReviewLine[] } {
  const prev = previousMonth(month);
  const now = new Map(store.counterRows("feature:", `month:${month}`).map((r) => [r.scope.slice(8), r.spent]));
  const before = new Map(store.counterRows("feature:", `month:${prev}`).map((r) => [r.scope.slice(8), r.spent]));
  const names = new Set([...now.keys(), ...store.featureIds()]);
  const features = [...names].sort().map((feature): ReviewLine => {
    const spent = now.get(feature) ?? 0;
    const previous = before.get(feature) ?? 0;
    const f = store.feature(feature);
    const allocatedUsd = adjustedUsd(monthlyLimitFor(featureLimits(f).monthly, f?.plan, month), adjust, `feature:${feature}`, month) ?? null;
    const spentUsd = toUsd(spent);
    const trend = previous > 0 ? Math.round(((spent - previous) / previous) * 10_000) / 10_000 : null;
    return {
      feature,
      allocatedUsd,
      spentUsd,
      utilization: allocatedUsd ? Math.round((spentUsd / allocatedUsd) * 10_000) / 10_000 : null,
      previousSpentUsd: toUsd(previous),
      trend,
      action: suggestAction(allocatedUsd, spentUsd, trend),
    };
  });
  return { month, previousMonth: prev, features };
}

/** RFC 4180 CSV: fields with commas, quotes or line breaks are quoted, quotes doubled. */
export function toCsv(rows: readonly (readonly (string | number | null)[])[]): string {
  const cell = (v: string | number | null) => {
    const s = v === null ? "" : String(v);
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return rows.map((r) => r.map(cell).join(",")).join("\r\n") + "\r\n";
}
