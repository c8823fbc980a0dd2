/** The monthly review per feature: allocated, spent, % used, trend against the month before, suggested action. */
import { api, describe, seg } from "../api";
import { navigate, tenantPath, type ViewContext } from "../app";
import { append, h, replace, state, table } from "../dom";
import { monthName, pct, usd } from "../format";
import type { ReviewReport, Tenant } from "../types";

/** The review tab: `?month=YYYY-MM`. */
export async function reviewTab(ctx: ViewContext, tenant: Tenant): Promise<void> {
  const month = ctx.query.get("month");
  const input = h("input", { id: "review-month", type: "month", name: "month", value: month ?? "" });
  const form = h(
    "form",
    { class: "toolbar" },
    h("label", { for: "review-month" }, "Month"),
    input,
    h("button", { type: "submit" }, "Show"),
  );
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    navigate(tenantPath(tenant.id, "review", input.value ? { month: input.value } : undefined));
  });
  const body = h("div", {}, state("loading", "Loading the review…"));
  const title = h("h2", {}, "Monthly review");
  append(ctx.main, form, h("section", { class: "card" }, title, body));
  let r: ReviewReport;
  try {
    r = await api<ReviewReport>(`/tenants/${seg(tenant.id)}/review${month ? `?month=${encodeURIComponent(month)}` : ""}`);
  } catch (err) {
    replace(body, state("error", describe(err)));
    return;
  }
  input.value = r.month;
  replace(title, `Monthly review, ${monthName(r.month)}`);
  if (r.features.length === 0) {
    replace(body, state("empty", `No feature is configured or spent in ${monthName(r.month)}.`));
    return;
  }
  replace(
    body,
    table(
      ["Feature", "Allocated", "Spent", "Used", `vs ${monthName(r.previousMonth)}`, "Suggested action"],
      r.features.map((f) => [
        f.feature,
        f.allocatedUsd === null ? "no limit" : usd(f.allocatedUsd),
        usd(f.spentUsd),
        pct(f.utilization),
        f.trend === null ? "—" : `${f.trend >= 0 ? "+" : ""}${pct(f.trend)}`,
        h("span", { class: f.action.startsWith("OK") ? "" : "action-needed" }, f.action),
      ]),
      { numeric: [1, 2, 3, 4] },
    ),
  );
}
