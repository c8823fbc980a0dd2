/**
 * Monthly spend forecasts from a history of month totals (oldest first, USD).
 * Pure: no Cloudflare imports. With ≥ 13 months it is seasonal (seasonal-naive
 * with trend: last year's same month, moved by the year-over-year level
 * change); with 2–12 months a least-squares linear trend; with fewer a flat
 * line at the last value (0 with no history). Forecasts never go below 0.
 */

export type ForecastMethod = "seasonal" | "trend" | "flat";

export interface Forecast {
  method: ForecastMethod;
  /** `horizon` values, the first one the month right after the history's last. */
  values: number[];
}

const SEASON = 12;

/** Least-squares line through (i, ys[i]): intercept and slope. */
export function linearFit(ys: readonly number[]): { intercept: number; slope: number } {
  const n = ys.length;
  if (n === 0) return { intercept: 0, slope: 0 };
  const mx = (n - 1) / 2;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (i - mx) * ((ys[i] as number) - my);
    sxx += (i - mx) * (i - mx);
  }
  const slope = sxx === 0 ? 0 : sxy / sxx;
  return { intercept: my - slope * mx, slope };
}

/** Linear trend over the history, extended `horizon` months. */
export function trendForecast(history: readonly number[], horizon: number): number[] {
  const { intercept, slope } = linearFit(history);
  const n = history.length;
  return Array.from({ length: horizon }, (_, h) => Math.max(0, intercept + slope * (n + h)));
}

/**
 * Seasonal-naive with trend: the value of the same month a season ago plus
 * the level change per month (the mean of the last 12 months against the 12
 * before, when there are 24; else the slope of a linear fit) times the
 * distance in months. Needs ≥ 13 months.
 */
export function seasonalForecast(history: readonly number[], horizon: number): number[] {
  const n = history.length;
  const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const perMonth =
    n >= 2 * SEASON
      ? (mean(history.slice(n - SEASON)) - mean(history.slice(n - 2 * SEASON, n - SEASON))) / SEASON
      : linearFit(history).slope;
  return Array.from({ length: horizon }, (_, h) => {
    // The latest observed month with the same position in the season.
    const back = SEASON * Math.ceil((h + 1) / SEASON);
    const base = history[n + h - back] as number;
    return Math.max(0, base + perMonth * back);
  });
}

/** The forecast for the next `horizon` months after `history` (oldest first). */
export function forecastMonths(history: readonly number[], horizon: number): Forecast {
  if (history.length >= SEASON + 1) return { method: "seasonal", values: seasonalForecast(history, horizon) };
  if (history.length >= 2) return { method: "trend", values: trendForecast(history, horizon) };
  const last = history[history.length - 1] ?? 0;
  return { method: "flat", values: Array.from({ length: horizon }, () => last) };
}

/** Mean absolute percentage error of `forecast` against `actual` (months with actual 0 skipped). */
export function mape(actual: readonly number[], forecast: readonly number[]): number {
  let sum = 0;
  let n = 0;
  for (let i = 0; i < Math.min(actual.length, forecast.length); i++) {
    const a = actual[i] as number;
    if (a === 0) continue;
    sum += Math.abs((a - (forecast[i] as number)) / a);
    n++;
  }
  return n === 0 ? 0 : sum / n;
}
