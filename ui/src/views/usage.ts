/**
 * Top users, features and models of a day or a month, each with the
 * chargeback CSV (`GET /tenants/{t}/usage` with `Accept: text/csv`), fetched
 * with the bearer token and handed to the browser as a download.
 */
import { api, apiText, describe, seg } from "../api";
import { navigate, tenantPath, type ViewContext } from "../app";
import { append, bar, h, replace, state, table } from "../dom";
import { pct, todayIn, usd } from "../format";
import type { Tenant, UsageReport } from "../types";

const GROUPS = [
  ["user", "Top users"],
  ["feature", "Top features"],
  ["model", "Top models"],
] as const;

/** The usage tab: `?period=day|month&at=`. */
export async function usageTab(ctx: ViewContext, tenant: Tenant): Promise<void> {
  const period = ctx.query.get("period") === "day" ? "day" : "month";
  const today = todayIn(tenant.timezone);
  const at = ctx.query.get("at") ?? (period === "day" ? today : today.slice(0, 7));
  append(ctx.main, picker(tenant, period, at));
  const boxes = GROUPS.map(([groupBy, title]) => {
    const body = h("div", {}, state("loading", `Loading ${title.toLowerCase()}…`));
    const card = h(
      "section",
      { class: "card", "data-group": groupBy },
      h("div", { class: "card-head" }, h("h2", {}, title), csvButton(tenant, period, at, groupBy)),
      body,
    );
    ctx.main.appendChild(card);
    return { groupBy, body };
  });
  await Promise.all(
    boxes.map(async ({ groupBy, body }) => {
      try {
        const q = new URLSearchParams({ period, at, groupBy }).toString();
        const report = await api<UsageReport>(`/tenants/${seg(tenant.id)}/usage?${q}`);
        replace(body, usageTable(report));
      } catch (err) {
        replace(body, state("error", describe(err)));
      }
    }),
  );
}

function picker(tenant: Tenant, period: "day" | "month", at: string): HTMLElement {
  const periodSel = h(
    "select",
    { id: "usage-period", name: "period" },
    h("option", { value: "month" }, "Month"),
    h("option", { value: "day" }, "Day"),
  );
  periodSel.value = period;
  const atInput = h("input", { id: "usage-at", name: "at", type: period === "day" ? "date" : "month", value: at, required: true });
  const form = h(
    "form",
    { class: "toolbar" },
    h("label", { for: "usage-period" }, "Period"),
    periodSel,
    h("label", { for: "usage-at" }, period === "day" ? "Day" : "Month"),
    atInput,
    h("button", { type: "submit" }, "Show"),
  );
  periodSel.addEventListener("change", () => navigate(tenantPath(tenant.id, "usage", { period: periodSel.value })));
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    navigate(tenantPath(tenant.id, "usage", { period: periodSel.value, at: atInput.value }));
  });
  return form;
}

function usageTable(r: UsageReport): HTMLElement {
  if (r.groups.length === 0) return state("empty", `No spend ${r.period === "day" ? "on" : "in"} ${r.at}.`);
  const max = Math.max(...r.groups.map((g) => g.spendUsd), 0.000001);
  const rows = r.groups.map((g) => [
    g.group,
    usd(g.spendUsd),
    g.limitUsd
      ? bar(g.spendUsd / g.limitUsd, { label: `${pct(g.utilization)} of its limit` })
      : bar(g.spendUsd / max, { label: "against the top spender", share: true }),
    g.limitUsd === null ? "no limit" : usd(g.limitUsd),
    pct(g.utilization),
    g.requests,
  ]);
  rows.push([
    h("strong", {}, "Total"),
    h("strong", {}, usd(r.total.spendUsd)),
    "",
    r.total.limitUsd === null ? "no limit" : usd(r.total.limitUsd),
    pct(r.total.utilization),
    r.total.requests,
  ]);
  return table(
    [r.groupBy === "model" ? "Model" : r.groupBy === "user" ? "User" : "Feature", "Spend", "", "Limit", "Used", "Requests"],
    rows,
    { numeric: [1, 3, 4, 5] },
  );
}

function csvButton(tenant: Tenant, period: string, at: string, groupBy: string): HTMLElement {
  const button = h("button", { type: "button", class: "button-quiet", "data-test": `csv-${groupBy}` }, "Download CSV");
  const note = h("span", { class: "muted", "aria-live": "polite" });
  button.addEventListener("click", () => {
    button.disabled = true;
    replace(note, "Preparing…");
    const q = new URLSearchParams({ period, at, groupBy }).toString();
    apiText(`/tenants/${seg(tenant.id)}/usage?${q}`, "text/csv")
      .then(({ text, filename }) => {
        const url = URL.createObjectURL(new Blob([text], { type: "text/csv" }));
        const a = h("a", { href: url, download: filename ?? `${tenant.id}-usage-${period}-${at}-by-${groupBy}.csv` });
        document.body.appendChild(a);
        a.click();
        a.remove();
        setTimeout(() => URL.revokeObjectURL(url), 10_000);
        replace(note, "Downloaded.");
      })
      .catch((err: unknown) => replace(note, describe(err)))
      .finally(() => {
        button.disabled = false;
      });
  });
  return h("span", { class: "csv" }, button, note);
}
