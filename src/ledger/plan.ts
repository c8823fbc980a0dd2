/**
 * The monthly plan report (`GET /tenants/{t}/plan`): this month and the next
 * 12, each with its planned limit (the plan's amount, else the static monthly
 * limit), the actual spend from the tenant's monthly counters (month-to-date
 * for this month), last year's actual, the forecast and the projected
 * over/under. The forecast (src/forecast) reads up to 24 closed months.
 */
import { monthlyLimitFor, tenantLimits, toUsd } from "../budget/limits";
import type { TenantConfig } from "../budget/tenant-config";
import { windowsAt } from "../budget/windows";
import { forecastMonths, type ForecastMethod } from "../forecast";
import type { LedgerStore } from "./storage";

export interface PlanRow {
  month: string;
  plannedUsd: number | null;
  actualUsd: number | null;
  lastYearActualUsd: number | null;
  forecastUsd: number;
  projectedOverUsd: number | null;
}

/** `YYYY-MM` shifted by `delta` months. */
export function addMonths(month: string, delta: number): string {
  const [y, m] = month.split("-").map(Number) as [number, number];
  const i = y * 12 + (m - 1) + delta;
  return `${Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, "0")}`;
}

const round = (usd: number) => Math.round(usd * 1_000_000) / 1_000_000;

/** The 13 rows of the plan, with the forecast method and how many months of history it used. */
export function planReport(
  store: LedgerStore,
  cfg: TenantConfig,
  now: number,
): { month: string; method: ForecastMethod; historyMonths: number; rows: PlanRow[] } {
  const thisMonth = windowsAt(now, cfg.timezone).monthly.key.slice(6);
  const spentIn = (month: string): number | null => {
    const row = store.counterRows("tenant", `month:${month}`)[0];
    return row ? row.spent : null;
  };
  // Up to 24 closed months before this one, oldest first, from the first month with a counter.
  const past: (number | null)[] = [];
  for (let k = 24; k >= 1; k--) past.push(spentIn(addMonths(thisMonth, -k)));
  const first = past.findIndex((v) => v !== null);
  const history = first < 0 ? [] : past.slice(first).map((v) => toUsd(v ?? 0));
  const forecast = forecastMonths(history, 13);
  const static_ = tenantLimits(cfg).monthly;
  const rows: PlanRow[] = [];
  for (let h = 0; h < 13; h++) {
    const month = addMonths(thisMonth, h);
    const planned = monthlyLimitFor(static_, cfg.plan, month);
    const actual = h === 0 ? toUsd(spentIn(month) ?? 0) : null;
    const lastYear = spentIn(addMonths(month, -12));
    let f = forecast.values[h] as number;
    // This month never forecasts below what is already spent.
    if (actual !== null) f = Math.max(f, actual);
    rows.push({
      month,
      plannedUsd: planned ?? null,
      actualUsd: actual,
      lastYearActualUsd: lastYear === null ? null : toUsd(lastYear),
      forecastUsd: round(f),
      projectedOverUsd: planned === undefined ? null : round(f - planned),
    });
  }
  return { month: thisMonth, method: forecast.method, historyMonths: history.length, rows };
}
