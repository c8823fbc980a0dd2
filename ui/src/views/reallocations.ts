/**
 * Reallocation requests: move part of this month's limit between user and
 * feature scopes. Anyone may ask; the operator or another admin key approves
 * (applied at once) or rejects — the API refuses the requester's own key, in
 * words shown here. Without the routes the panel says so.
 */
import { api, describe, seg } from "../api";
import type { ViewContext } from "../app";
import { append, h, replace, state, table } from "../dom";
import { dateTime, usd } from "../format";
import type { Tenant } from "../types";
import { stateBadge } from "./alerts";
import { missingRoute } from "./bursts";

/** A request as `GET /tenants/{t}/reallocations` lists it. */
export interface Reallocation {
  id: string;
  from: string;
  to: string;
  amountUsd: number;
  reason: string;
  month: string;
  state: "pending" | "applied" | "rejected";
  requestedBy: string;
  requestedAt: string;
  decidedBy: string | null;
  decidedAt: string | null;
  decisionReason: string | null;
  applied: { from: { limitUsd: number; newLimitUsd: number }; to: { limitUsd: number; newLimitUsd: number } } | null;
}

/** The reallocations tab. */
export async function reallocationsTab(ctx: ViewContext, tenant: Tenant): Promise<void> {
  const list = h("div", { "data-test": "reallocations" }, state("loading", "Loading reallocation requests…"));
  const formBox = h("div", {});
  append(ctx.main, h("section", { class: "card" }, h("h2", {}, "Reallocation requests"), list), formBox);
  const reload = async (): Promise<void> => {
    let items: Reallocation[];
    try {
      items = (await api<{ reallocations: Reallocation[] }>(`/tenants/${seg(tenant.id)}/reallocations`)).reallocations;
    } catch (err) {
      if (missingRoute(err)) {
        replace(
          list,
          state("info", "Reallocations are not available on this guard: its admin API has no /tenants/{t}/reallocations routes."),
        );
        return replace(formBox);
      }
      return replace(list, state("error", describe(err)));
    }
    if (formBox.childElementCount === 0) formBox.appendChild(createForm(tenant, reload));
    if (items.length === 0) return replace(list, state("empty", "No reallocation requests. Ask for one below."));
    const tz = tenant.timezone;
    replace(
      list,
      table(
        ["Month", "From", "To", "Amount", "Reason", "State", "Asked", "Decision"],
        items.map((r) => [
          r.month,
          r.from,
          r.to,
          usd(r.amountUsd),
          r.reason,
          stateBadge(r.state),
          `${r.requestedBy}, ${dateTime(r.requestedAt, tz)}`,
          r.state === "pending" ? decide(tenant, r, reload) : decided(r, tz),
        ]),
        { class: "reallocations", numeric: [3] },
      ),
    );
  };
  await reload();
}

function decided(r: Reallocation, tz: string): string {
  const who = `${r.decidedBy ?? "?"}, ${dateTime(r.decidedAt, tz)}`;
  const moved = r.applied
    ? `; ${r.from} ${usd(r.applied.from.limitUsd)} → ${usd(r.applied.from.newLimitUsd)}, ${r.to} ${usd(r.applied.to.limitUsd)} → ${usd(r.applied.to.newLimitUsd)}`
    : "";
  return `${who}${r.decisionReason ? ` (${r.decisionReason})` : ""}${moved}`;
}

function decide(tenant: Tenant, r: Reallocation, reload: () => Promise<void>): HTMLElement {
  const box = h("span", { class: "actions", "data-reallocation-id": r.id });
  const note = h("input", {
    class: "inline-input",
    placeholder: "reason (optional)",
    maxlength: 1000,
    "aria-label": "Reason for the decision",
  });
  const button = (verb: "approve" | "reject", label: string, cls: string) => {
    const b = h("button", { type: "button", class: cls, "data-test": `reallocation-${verb}` }, label);
    b.addEventListener("click", () => {
      b.disabled = true;
      const body = note.value.trim() ? { reason: note.value.trim() } : {};
      api(`/tenants/${seg(tenant.id)}/reallocations/${seg(r.id)}/${verb}`, { method: "POST", body })
        .then(reload)
        .catch((err: unknown) => {
          b.disabled = false;
          append(box, state("error", describe(err)));
        });
    });
    return b;
  };
  append(box, note, button("approve", "Approve", ""), button("reject", "Reject", "button-danger-quiet"));
  return box;
}

function createForm(tenant: Tenant, reload: () => Promise<void>): HTMLElement {
  const from = h("input", { id: "realloc-from", required: true, placeholder: "feature:search" });
  const to = h("input", { id: "realloc-to", required: true, placeholder: "feature:support-bot" });
  const amount = h("input", { id: "realloc-amount", type: "number", required: true, min: "0.000001", step: "any", placeholder: "100" });
  const reason = h("input", { id: "realloc-reason", required: true, maxlength: 1000, placeholder: "support volume doubled" });
  const out = h("div", { "aria-live": "polite" });
  const submit = h("button", { type: "submit" }, "Ask");
  const field = (label: string, input: HTMLElement) => h("div", { class: "field" }, h("label", { for: input.id }, label), input);
  const form = h(
    "form",
    { class: "form-grid" },
    field("From", from),
    field("To", to),
    field("Amount (USD)", amount),
    field("Reason", reason),
    h("div", { class: "field field-submit" }, submit),
  );
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    submit.disabled = true;
    const body = { from: from.value.trim(), to: to.value.trim(), amountUsd: Number(amount.value), reason: reason.value.trim() };
    api(`/tenants/${seg(tenant.id)}/reallocations`, { method: "POST", body })
      .then(async () => {
        replace(out, state("info", "Asked: another admin or the operator decides."));
        form.reset();
        await reload();
      })
      .catch((err: unknown) => replace(out, state("error", describe(err))))
      .finally(() => {
        submit.disabled = false;
      });
  });
  return h("section", { class: "card" }, h("h2", {}, "Ask to move this month's limit"), form, out);
}
