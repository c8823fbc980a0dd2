/**
 * A tenant's pages: the header (name, zone, limits, a freeze banner) and one
 * tab per view, each at its own URL (`/admin/ui/tenants/{t}/keys`, …).
 */
import { api, describe, seg } from "../api";
import { link, tenantPath, type ViewContext } from "../app";
import { append, h, replace, state } from "../dom";
import { dateTime, usd } from "../format";
import type { Tenant } from "../types";
import { alertsTab } from "./alerts";
import { auditTab } from "./audit";
import { burstsTab } from "./bursts";
import { keysTab } from "./keys";
import { overviewTab } from "./overview";
import { reallocationsTab } from "./reallocations";
import { reviewTab } from "./review";
import { usageTab } from "./usage";

/** The tabs of a tenant, in the order shown. */
export const TENANT_TABS = ["overview", "usage", "alerts", "keys", "bursts", "reallocations", "review", "audit"] as const;
export type TenantTab = (typeof TENANT_TABS)[number];

const LABELS: Record<TenantTab, string> = {
  overview: "Overview",
  usage: "Top spenders",
  alerts: "Alerts",
  keys: "Keys",
  bursts: "Bursts",
  reallocations: "Reallocations",
  review: "Review",
  audit: "Audit log",
};

/** What a tab gets: the view context (its own section to draw in) and the tenant. */
export type TabView = (ctx: ViewContext, tenant: Tenant) => Promise<void>;

const TABS: Record<TenantTab, TabView> = {
  overview: overviewTab,
  usage: usageTab,
  alerts: alertsTab,
  keys: keysTab,
  bursts: burstsTab,
  reallocations: reallocationsTab,
  review: reviewTab,
  audit: auditTab,
};

/** Draws tenant `t`'s `tab`. */
export async function tenantView(ctx: ViewContext, t: string, tab: TenantTab): Promise<void> {
  const { main, session } = ctx;
  replace(main, state("loading", `Loading tenant ${t}…`));
  let tenant: Tenant;
  try {
    tenant = await api<Tenant>(`/tenants/${seg(t)}`);
  } catch (err) {
    replace(main, h("h1", {}, `Tenant ${t}`), state("error", describe(err)));
    if (session.kind === "tenant_admin" && session.tenantId !== t)
      append(main, h("p", {}, link(tenantPath(session.tenantId), `Go to your tenant, ${session.tenantId}`)));
    if (session.kind === "operator") append(main, h("p", {}, link("/admin/ui", "Back to all tenants")));
    return;
  }
  const section = h("section", { class: `tab tab-${tab}`, "data-tab": tab });
  replace(main, tenantHeader(ctx, tenant), tabs(tenant.id, tab), section);
  await TABS[tab]({ ...ctx, main: section }, tenant);
}

function tenantHeader(ctx: ViewContext, tenant: Tenant): HTMLElement {
  const limits = [
    tenant.limits.daily != null ? `${usd(tenant.limits.daily)} a day` : "no daily limit",
    tenant.limits.monthly != null ? `${usd(tenant.limits.monthly)} a month` : "no monthly limit",
  ].join(" · ");
  const head = h(
    "div",
    { class: "tenant-head" },
    ctx.session.kind === "operator" ? h("p", { class: "crumbs" }, link("/admin/ui", "All tenants"), " / ", tenant.id) : null,
    h("h1", { "data-test": "tenant-name" }, tenant.name),
    h(
      "p",
      { class: "muted" },
      h("code", {}, tenant.id),
      ` · ${tenant.timezone} · ${limits}`,
      tenant.mode === "shadow" ? h("span", { class: "badge badge-warn" }, "shadow mode") : null,
    ),
  );
  if (tenant.frozenAt) head.appendChild(frozenBanner(tenant));
  return head;
}

function frozenBanner(tenant: Tenant): HTMLElement {
  const msg = h(
    "span",
    {},
    `Frozen since ${dateTime(tenant.frozenAt, tenant.timezone)}: ${tenant.frozenReason ?? "spend spike"}. Its calls are refused until someone lifts the freeze.`,
  );
  const out = h("div", { class: "banner banner-error", role: "alert", "data-test": "frozen" }, msg);
  const button = h("button", { type: "button" }, "Lift the freeze");
  button.addEventListener("click", () => {
    button.disabled = true;
    api(`/tenants/${seg(tenant.id)}/unfreeze`, { method: "POST" })
      .then(() => {
        replace(out, state("info", "The freeze is lifted; calls are accepted again."));
        out.className = "banner banner-ok";
      })
      .catch((err: unknown) => {
        button.disabled = false;
        append(out, state("error", describe(err)));
      });
  });
  out.appendChild(button);
  return out;
}

function tabs(tenantId: string, current: TenantTab): HTMLElement {
  return h(
    "nav",
    { class: "tabs", "aria-label": "Tenant views" },
    ...TENANT_TABS.map((t) => {
      const a = link(tenantPath(tenantId, t), LABELS[t]);
      if (t === current) a.setAttribute("aria-current", "page");
      return a;
    }),
  );
}
