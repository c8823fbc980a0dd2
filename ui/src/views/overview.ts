/**
 * A tenant's overview: daily spend for the last 30 or 90 days (one usage
 * report per day, the only per-day read the admin API has) with the daily
 * limit and this month's forecast, and a gauge for every scope window.
 */
import { api, describe, mapLimit, seg } from "../api";
import { link, tenantPath, type ViewContext } from "../app";
import { dailyChart } from "../chart";
import { append, bar, h, replace, state } from "../dom";
import { dateTime, daysInMonth, lastDays, monthName, todayIn, usd } from "../format";
import type { PlanReport, ScopeWindow, Tenant, UsageReport } from "../types";

const RANGES = [30, 90] as const;

/** The overview tab. */
export async function overviewTab(ctx: ViewContext, tenant: Tenant): Promise<void> {
  const n = ctx.query.get("days") === "90" ? 90 : 30;
  const chartBox = h("div", { class: "chart", "data-test": "daily-chart" });
  const chartState = h("div", {}, state("loading", `Loading ${n} days of usage…`));
  const forecast = h("p", { class: "forecast", "data-test": "forecast" });
  const gauges = h("div", { class: "gauges", "data-test": "gauges" }, state("loading", "Loading the scope windows…"));
  append(
    ctx.main,
    h(
      "div",
      { class: "card" },
      h(
        "div",
        { class: "card-head" },
        h("h2", {}, `Daily spend, last ${n} days`),
        h(
          "div",
          { class: "segmented", role: "group", "aria-label": "Range" },
          ...RANGES.map((r) => {
            const a = link(tenantPath(tenant.id, "overview", r === 30 ? undefined : { days: String(r) }), `${r} days`);
            if (r === n) a.setAttribute("aria-current", "true");
            return a;
          }),
        ),
      ),
      chartState,
      chartBox,
      forecast,
    ),
    h("h2", {}, "Scope windows now"),
    gauges,
  );
  await Promise.all([drawChart(tenant, n, chartBox, chartState, forecast), drawGauges(tenant, gauges)]);
}

async function drawChart(tenant: Tenant, n: number, box: HTMLElement, status: HTMLElement, forecast: HTMLElement): Promise<void> {
  const today = todayIn(tenant.timezone);
  const days = lastDays(today, n);
  const month = today.slice(0, 7);
  let done = 0;
  let reports: UsageReport[];
  let plan: PlanReport | null;
  try {
    [reports, plan] = await Promise.all([
      mapLimit(days, 6, async (d) => {
        const r = await api<UsageReport>(`/tenants/${seg(tenant.id)}/usage?period=day&at=${d}&groupBy=feature`);
        replace(status, state("loading", `Loading usage: ${++done} of ${n} days…`));
        return r;
      }),
      api<PlanReport>(`/tenants/${seg(tenant.id)}/plan`).catch(() => null),
    ]);
  } catch (err) {
    replace(status, state("error", `The usage could not be loaded: ${describe(err)}`));
    return;
  }
  const spend = reports.map((r) => r.total.spendUsd);
  const dailyLimit = reports[reports.length - 1]?.total.limitUsd ?? tenant.limits.daily ?? null;
  const row = plan?.rows.find((r) => r.month === month);
  const perDay = row ? row.forecastUsd / daysInMonth(month) : null;
  const forecastPerDay = days.map((d) => (perDay !== null && d.startsWith(month) ? perDay : null));
  const total = spend.reduce((a, b) => a + b, 0);
  replace(
    status,
    total === 0
      ? state("empty", `No spend in the last ${n} days.`)
      : h(
          "p",
          { class: "muted" },
          `${usd(total)} in ${n} days; the dashed red line is the daily limit${dailyLimit === null ? " (none set)" : ` (${usd(dailyLimit)})`}.`,
        ),
  );
  dailyChart(box, { days, spend, dailyLimit, forecastPerDay });
  box.dataset.points = String(days.length);
  if (!row) {
    replace(forecast, "No forecast for this month.");
    return;
  }
  const limit = row.plannedUsd ?? tenant.limits.monthly ?? null;
  replace(
    forecast,
    h("strong", {}, `${monthName(month)} forecast: ${usd(row.forecastUsd)}`),
    ` (${plan?.method ?? "flat"} from ${plan?.historyMonths ?? 0} months of history), ${usd(row.actualUsd ?? 0)} spent so far`,
    limit === null
      ? ", no monthly limit."
      : `, against the month's limit of ${usd(limit)}${row.projectedOverUsd && row.projectedOverUsd > 0 ? `: projected ${usd(row.projectedOverUsd)} over.` : "."}`,
  );
}

async function drawGauges(tenant: Tenant, el: HTMLElement): Promise<void> {
  let windows: ScopeWindow[];
  try {
    windows = (await api<{ windows: ScopeWindow[] }>(`/tenants/${seg(tenant.id)}/windows?users=10`)).windows;
  } catch (err) {
    replace(el, state("error", `The scope windows could not be loaded: ${describe(err)}`));
    return;
  }
  const groups: [string, ScopeWindow["scope"], string][] = [
    ["Tenant", "tenant", ""],
    ["Features", "feature", "No feature is configured or spending this month."],
    ["Top users this month", "user", "No user has spent this month."],
  ];
  replace(
    el,
    ...groups.map(([title, scope, empty]) => {
      const mine = windows.filter((w) => w.scope === scope);
      const ids = [...new Set(mine.map((w) => w.id))];
      return h(
        "section",
        { class: "gauge-group", "data-scope": scope },
        h("h3", {}, title),
        ids.length === 0
          ? state("empty", empty)
          : h(
              "div",
              { class: "gauge-grid" },
              ...ids.map((id) =>
                gauge(
                  tenant,
                  scope,
                  id,
                  mine.filter((w) => w.id === id),
                ),
              ),
            ),
      );
    }),
  );
}

function gauge(tenant: Tenant, scope: ScopeWindow["scope"], id: string, lines: ScopeWindow[]): HTMLElement {
  return h(
    "div",
    { class: "gauge card", "data-test": "gauge" },
    h("h4", {}, scope === "tenant" ? tenant.name : id),
    ...lines.map((w) => {
      const label = w.window === "daily" ? "Today" : "This month";
      const used = w.limitUsd ? w.spentUsd / w.limitUsd : null;
      const held = w.limitUsd ? w.reservedUsd / w.limitUsd : 0;
      return h(
        "div",
        { class: "gauge-line" },
        h(
          "div",
          { class: "gauge-label" },
          h("span", {}, label),
          h("span", { class: "num" }, w.limitUsd === null ? "no limit" : usd(w.limitUsd)),
        ),
        bar(used, { reserved: held, label: `${label}: ${usd(w.spentUsd)} spent, ${usd(w.reservedUsd)} reserved` }),
        h(
          "div",
          { class: "gauge-detail muted" },
          `${usd(w.spentUsd)} spent · ${usd(w.reservedUsd)} reserved${w.remainingUsd === null ? "" : ` · ${usd(w.remainingUsd)} left`} · resets ${dateTime(w.resetsAt, tenant.timezone)}`,
        ),
      );
    }),
  );
}
