/**
 * The operator's start page: the global budget, every tenant's spend today
 * and this month against its limits, frozen tenants, and the newest alerts
 * across tenants. Tenants load a page at a time (the directory is paged).
 */
import { api, describe, mapLimit, seg } from "../api";
import { link, tenantPath, type ViewContext } from "../app";
import { append, bar, h, replace, state, table } from "../dom";
import { dateTime, pct, spentOf, usd } from "../format";
import type { AlertInfo, GlobalStatus, Tenant, TenantListing, UsageReport } from "../types";
import { kindLabel, stateBadge } from "./alerts";

const PAGE = 25;

interface Row {
  tenant: Tenant;
  day: UsageReport;
  month: UsageReport;
  alerts: AlertInfo[];
}

/** The operator home. */
export async function homeView(ctx: ViewContext): Promise<void> {
  const global = h("div", {}, state("loading", "Loading the global budget…"));
  const frozen = h("div", { "data-test": "frozen-tenants" }, state("loading", "Loading…"));
  const tenants = h("div", { "data-test": "tenants" }, state("loading", "Loading tenants…"));
  const more = h("div", {});
  const alerts = h("div", { "data-test": "recent-alerts" }, state("loading", "Loading alerts…"));
  append(
    ctx.main,
    h("h1", {}, "All tenants"),
    h(
      "div",
      { class: "two-col" },
      h("section", { class: "card" }, h("h2", {}, "Global budget"), global),
      h("section", { class: "card" }, h("h2", {}, "Frozen tenants"), frozen),
    ),
    h("section", { class: "card" }, h("h2", {}, "Tenants: today and this month"), tenants, more),
    h("section", { class: "card" }, h("h2", {}, "Recent alerts"), alerts),
  );
  const rows: Row[] = [];
  const loadPage = async (after: string | null) => {
    const q = new URLSearchParams({ limit: String(PAGE) });
    if (after) q.set("after", after);
    let page: TenantListing;
    try {
      page = await api<TenantListing>(`/tenants?${q}`);
    } catch (err) {
      replace(tenants, state("error", describe(err)));
      return;
    }
    const loaded = await mapLimit(page.tenants, 4, async (t): Promise<Row | null> => {
      const base = `/tenants/${seg(t.id)}`;
      try {
        const [tenant, day, month, a] = await Promise.all([
          api<Tenant>(base),
          api<UsageReport>(`${base}/usage?period=day&groupBy=feature`),
          api<UsageReport>(`${base}/usage?period=month&groupBy=feature`),
          api<{ alerts: AlertInfo[] }>(`${base}/alerts?limit=5`),
        ]);
        return { tenant, day, month, alerts: a.alerts };
      } catch {
        return null; // deleted between the listing and now
      }
    });
    rows.push(...loaded.filter((r): r is Row => r !== null));
    drawTenants(tenants, rows);
    drawFrozen(frozen, rows);
    drawAlerts(alerts, rows);
    if (!page.next) return replace(more);
    const button = h("button", { type: "button", class: "button-quiet" }, "More tenants");
    button.addEventListener("click", () => {
      button.disabled = true;
      void loadPage(page.next);
    });
    replace(more, button);
  };
  await Promise.all([drawGlobal(global), loadPage(null)]);
}

async function drawGlobal(el: HTMLElement): Promise<void> {
  let g: GlobalStatus;
  try {
    g = await api<GlobalStatus>("/global");
  } catch (err) {
    replace(el, state("error", describe(err)));
    return;
  }
  // Leased-out budget is held by tenants for calls they may still make: it shows as reserved.
  const line = (label: string, w: GlobalStatus["daily"], limit: number | null | undefined) =>
    h(
      "div",
      { class: "gauge-line" },
      h("div", { class: "gauge-label" }, h("span", {}, label), h("span", { class: "num" }, spentOf(w.spentUsd, limit))),
      bar(limit ? w.spentUsd / limit : null, {
        reserved: limit ? w.outstandingUsd / limit : 0,
        label: `${label}: ${spentOf(w.spentUsd, limit)}`,
      }),
      h("div", { class: "gauge-detail muted" }, `${usd(w.spentUsd)} spent · ${usd(w.outstandingUsd)} leased to tenants`),
    );
  replace(
    el,
    g.blocked ? h("p", { class: "banner banner-error", role: "alert" }, "The stop switch is on: all LLM traffic is blocked.") : null,
    line(`Today (${g.daily.window.replace(/^day:/, "")}, UTC)`, g.daily, g.limits.daily),
    line(`This month (${g.monthly.window.replace(/^month:/, "")})`, g.monthly, g.limits.monthly),
    h("p", { class: "muted" }, `${g.leases.length} tenant${g.leases.length === 1 ? "" : "s"} holding a lease of the global budget.`),
  );
}

function drawTenants(el: HTMLElement, rows: Row[]): void {
  if (rows.length === 0) {
    replace(el, state("empty", "No tenants yet. Create one with PUT /admin/v1/tenants/{t}."));
    return;
  }
  const cell = (r: UsageReport, label: string) =>
    h(
      "div",
      { class: "spend-cell" },
      bar(r.total.limitUsd ? r.total.spendUsd / r.total.limitUsd : null, { label: `${label}: ${pct(r.total.utilization)}` }),
      h("small", {}, spentOf(r.total.spendUsd, r.total.limitUsd)),
    );
  replace(
    el,
    table(
      ["Tenant", "Today", "This month", "Status"],
      rows.map(({ tenant, day, month }) => [
        h(
          "div",
          {},
          link(tenantPath(tenant.id), tenant.name),
          h("div", { class: "muted" }, h("code", {}, tenant.id), ` · ${tenant.timezone}`),
        ),
        cell(day, "today"),
        cell(month, "this month"),
        status(tenant),
      ]),
      { class: "tenants" },
    ),
  );
}

function status(t: Tenant): HTMLElement {
  if (t.frozenAt) return h("span", { class: "badge badge-error" }, "frozen");
  if (t.mode === "shadow") return h("span", { class: "badge badge-warn" }, "shadow");
  return h("span", { class: "badge badge-ok" }, "enforcing");
}

function drawFrozen(el: HTMLElement, rows: Row[]): void {
  const frozen = rows.filter((r) => r.tenant.frozenAt);
  if (frozen.length === 0) {
    replace(el, state("empty", "No tenant is frozen."));
    return;
  }
  replace(
    el,
    h(
      "ul",
      { class: "plain" },
      ...frozen.map(({ tenant }) =>
        h(
          "li",
          {},
          link(tenantPath(tenant.id), tenant.name),
          ` since ${dateTime(tenant.frozenAt, tenant.timezone)}: ${tenant.frozenReason ?? "spend spike"}`,
        ),
      ),
    ),
  );
}

function drawAlerts(el: HTMLElement, rows: Row[]): void {
  const all = rows.flatMap((r) => r.alerts.map((a) => ({ a, tenant: r.tenant })));
  all.sort((x, y) => y.a.createdAt.localeCompare(x.a.createdAt));
  if (all.length === 0) {
    replace(el, state("empty", "No alerts yet."));
    return;
  }
  replace(
    el,
    table(
      ["When", "Tenant", "Alert", "Scope", "State"],
      all
        .slice(0, 15)
        .map(({ a, tenant }) => [
          dateTime(a.createdAt, tenant.timezone),
          link(tenantPath(tenant.id, "alerts"), tenant.name),
          `${kindLabel(a.kind)}${a.threshold ? ` ${pct(a.threshold)}` : ""}`,
          `${a.scope} · ${a.win}`,
          stateBadge(a.state),
        ]),
    ),
  );
}
