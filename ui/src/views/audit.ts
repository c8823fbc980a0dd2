/** The audit log: who changed what (before and after), newest first, paged with "Older entries". */
import { api, describe, seg } from "../api";
import type { ViewContext } from "../app";
import { append, h, replace, state, table } from "../dom";
import { dateTime } from "../format";
import type { AuditEntry, Tenant } from "../types";

const PAGE = 50;

/** The audit tab. */
export async function auditTab(ctx: ViewContext, tenant: Tenant): Promise<void> {
  const body = h("div", {}, state("loading", "Loading the audit log…"));
  const more = h("div", {});
  append(ctx.main, h("section", { class: "card" }, h("h2", {}, "Audit log"), body, more));
  const rows: AuditEntry[] = [];
  const load = async (before: number | null) => {
    const q = new URLSearchParams({ limit: String(PAGE) });
    if (before !== null) q.set("before", String(before));
    let page: AuditEntry[];
    try {
      page = (await api<{ entries: AuditEntry[] }>(`/tenants/${seg(tenant.id)}/audit?${q}`)).entries;
    } catch (err) {
      replace(more, state("error", describe(err)));
      return;
    }
    rows.push(...page);
    if (rows.length === 0) {
      replace(body, state("empty", "No changes recorded yet."));
      return;
    }
    replace(
      body,
      table(
        ["When", "Who", "What", "Target", "Change"],
        rows.map((e) => [dateTime(e.at, tenant.timezone), e.actor, e.action, e.target, change(e)]),
        { class: "audit" },
      ),
    );
    const last = rows[rows.length - 1];
    if (page.length < PAGE || !last) return replace(more);
    const button = h("button", { type: "button", class: "button-quiet" }, "Older entries");
    button.addEventListener("click", () => {
      button.disabled = true;
      void load(last.id);
    });
    replace(more, button);
  };
  await load(null);
}

function change(e: AuditEntry): HTMLElement {
  const json = (v: unknown) => (v === null || v === undefined ? "—" : JSON.stringify(v, null, 2));
  return h(
    "details",
    {},
    h("summary", {}, "before / after"),
    h(
      "div",
      { class: "diff" },
      h("div", {}, h("h5", {}, "Before"), h("pre", {}, json(e.before))),
      h("div", {}, h("h5", {}, "After"), h("pre", {}, json(e.after))),
    ),
  );
}
