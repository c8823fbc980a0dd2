/**
 * The daily-spend chart (uPlot): one bar per day, the daily limit as a line
 * and, over this month's days, the forecast's daily average. The instance is
 * registered on `window.budgetGuardCharts` so the browser tests can read
 * exactly what was plotted.
 */
import uPlot from "uplot";
import { usd } from "./format";

declare global {
  interface Window {
    /** The charts on the page by name, for tests and the curious. */
    budgetGuardCharts?: Record<string, uPlot>;
  }
}

/** What the chart plots, one entry per day. */
export interface DailySeries {
  /** `YYYY-MM-DD`, oldest first. */
  days: string[];
  spend: number[];
  /** The tenant's daily limit, or null without one (no line then). */
  dailyLimit: number | null;
  /** The forecast's average per day on this month's days, null elsewhere. */
  forecastPerDay: (number | null)[];
}

const COLORS = {
  spend: "#2f7d6d",
  spendFill: "rgba(47, 125, 109, 0.55)",
  limit: "#c0392b",
  forecast: "#7b5ea7",
  grid: "rgba(0,0,0,0.07)",
  axis: "#5b6470",
};

const shortUsd = (v: number) => (v === 0 ? "$0" : Math.abs(v) < 0.01 ? `$${v.toPrecision(2)}` : usd(v).replace(/\.00$/, ""));

/** Draws the chart into `el` (replacing a previous one) and keeps it as wide as `el`. */
export function dailyChart(el: HTMLElement, data: DailySeries): uPlot {
  const xs = data.days.map((d) => Date.parse(`${d}T00:00:00Z`) / 1000);
  const limitLine = data.days.map(() => data.dailyLimit);
  const bars = uPlot.paths.bars!({ size: [0.7, 40], align: 0 });
  const opts: uPlot.Options = {
    width: Math.max(280, el.clientWidth),
    height: el.clientWidth < 500 ? 220 : 280,
    // Days are calendar dates in the tenant's zone, plotted at their UTC midnight: label them in UTC.
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), "UTC"),
    cursor: { drag: { x: false, y: false }, points: { show: false } },
    scales: {
      x: { time: true, range: (_u, min, max) => [min - 43_200, max + 43_200] },
      y: { range: (_u, _min, max) => [0, Math.max(max, data.dailyLimit ?? 0, 0.000001) * 1.1] },
    },
    axes: [
      { stroke: COLORS.axis, grid: { stroke: COLORS.grid }, ticks: { stroke: COLORS.grid } },
      {
        stroke: COLORS.axis,
        grid: { stroke: COLORS.grid },
        ticks: { stroke: COLORS.grid },
        size: 64,
        values: (_u, vals) => vals.map(shortUsd),
      },
    ],
    series: [
      { label: "Day", value: (_u, v) => (v == null ? "—" : new Date(v * 1000).toISOString().slice(0, 10)) },
      { label: "Spend", stroke: COLORS.spend, fill: COLORS.spendFill, paths: bars, points: { show: false }, value: (_u, v) => usd(v) },
      {
        label: "Daily limit",
        stroke: COLORS.limit,
        width: 2,
        dash: [6, 4],
        points: { show: false },
        value: (_u, v) => usd(v),
        show: data.dailyLimit !== null,
      },
      {
        label: "Forecast per day",
        stroke: COLORS.forecast,
        width: 2,
        dash: [2, 3],
        points: { show: true, size: 5, fill: COLORS.forecast },
        value: (_u, v) => usd(v),
      },
    ],
  };
  const aligned: uPlot.AlignedData = [xs, data.spend, limitLine, data.forecastPerDay];
  el.replaceChildren();
  const chart = new uPlot(opts, aligned, el);
  // Resizing in the next frame keeps the observer from reporting a loop when the new size changes layout.
  const resize = new ResizeObserver(() =>
    requestAnimationFrame(() => {
      if (!el.isConnected) return resize.disconnect();
      const width = Math.max(280, el.clientWidth);
      if (Math.abs(width - chart.width) > 2) chart.setSize({ width, height: width < 500 ? 220 : 280 });
    }),
  );
  resize.observe(el);
  window.budgetGuardCharts = { ...window.budgetGuardCharts, daily: chart };
  return chart;
}
