/** A tenant's alerts, newest first, each with the state of its deliveries (webhook, operator). */
import { api, describe, seg } from "../api";
import type { ViewContext } from "../app";
import { append, h, replace, state, table } from "../dom";
import { dateTime, pct } from "../format";
import type { AlertInfo, Tenant } from "../types";

/** The alerts tab. */
export async function alertsTab(ctx: ViewContext, tenant: Tenant): Promise<void> {
  const body = h("div", {}, state("loading", "Loading alerts…"));
  append(ctx.main, h("section", { class: "card" }, h("h2", {}, "Alerts"), body));
  let alerts: AlertInfo[];
  try {
    alerts = (await api<{ alerts: AlertInfo[] }>(`/tenants/${seg(tenant.id)}/alerts?limit=200`)).alerts;
  } catch (err) {
    replace(body, state("error", describe(err)));
    return;
  }
  if (alerts.length === 0) {
    replace(body, state("empty", "No alerts yet: none of this tenant's scopes has crossed a threshold or spiked."));
    return;
  }
  replace(
    body,
    table(
      ["When", "Alert", "Scope", "Window", "State", "Deliveries"],
      alerts.map((a) => [
        dateTime(a.createdAt, tenant.timezone),
        `${kindLabel(a.kind)}${a.threshold ? ` ${pct(a.threshold)}` : ""}`,
        a.scope,
        a.win,
        stateBadge(a.state),
        deliveries(a, tenant.timezone),
      ]),
      { class: "alerts" },
    ),
  );
}

/** "threshold" → "Threshold"; kinds are snake_case. */
export function kindLabel(kind: string): string {
  const s = kind.replace(/_/g, " ");
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** A delivery or alert state as a coloured badge. */
export function stateBadge(s: string): HTMLElement {
  const tone = s === "delivered" ? "ok" : s === "failed" ? "error" : s === "pending" ? "warn" : "muted";
  return h("span", { class: `badge badge-${tone}` }, s);
}

function deliveries(a: AlertInfo, tz: string): HTMLElement | string {
  if (a.deliveries.length === 0) return "no destination configured";
  return h(
    "ul",
    { class: "plain" },
    ...a.deliveries.map((d) =>
      h(
        "li",
        {},
        `${d.dest}: `,
        stateBadge(d.state),
        ` after ${d.attempts} attempt${d.attempts === 1 ? "" : "s"}`,
        d.deliveredAt ? `, ${dateTime(d.deliveredAt, tz)}` : "",
        d.nextAttemptAt ? `, next try ${dateTime(d.nextAttemptAt, tz)}` : "",
        d.lastError ? h("div", { class: "muted" }, `Last error: ${d.lastError}`) : null,
      ),
    ),
  );
}
