/**
 * Burst pools: one-off spending above a scope's hard limit. A tenant admin
 * asks (pending), the operator approves or creates one active; either closes
 * it. Without the routes (an older guard) the panel says so.
 */
import { api, ApiFailure, describe, seg } from "../api";
import type { ViewContext } from "../app";
import { append, bar, h, replace, state, table } from "../dom";
import { dateTime, usd } from "../format";
import type { Tenant } from "../types";
import { stateBadge } from "./alerts";

/** A pool as `GET /tenants/{t}/bursts` lists it. */
export interface Burst {
  id: string;
  scope: string;
  state: "pending" | "active" | "closed" | "expired" | "exhausted";
  amountUsd: number;
  maxPerRequestUsd: number | null;
  reason: string;
  expiresAt: string;
  requestedBy: string;
  createdAt: string;
  approvedBy: string | null;
  spentUsd: number;
  reservedUsd: number;
  remainingUsd: number;
}

/** True when the guard answers "no such route": the feature is not deployed there. */
export function missingRoute(err: unknown): boolean {
  return err instanceof ApiFailure && err.status === 404 && err.code === "unknown_route";
}

/** The bursts tab. */
export async function burstsTab(ctx: ViewContext, tenant: Tenant): Promise<void> {
  const list = h("div", { "data-test": "bursts" }, state("loading", "Loading burst pools…"));
  const formBox = h("div", {});
  append(ctx.main, h("section", { class: "card" }, h("h2", {}, "Burst pools"), list), formBox);
  const operator = ctx.session.kind === "operator";
  const reload = async (): Promise<void> => {
    let bursts: Burst[];
    try {
      bursts = (await api<{ bursts: Burst[] }>(`/tenants/${seg(tenant.id)}/bursts`)).bursts;
    } catch (err) {
      if (missingRoute(err)) {
        replace(list, state("info", "Burst pools are not available on this guard: its admin API has no /tenants/{t}/bursts routes."));
        return replace(formBox);
      }
      return replace(list, state("error", describe(err)));
    }
    if (formBox.childElementCount === 0) formBox.appendChild(createForm(tenant, operator, reload));
    if (bursts.length === 0)
      return replace(list, state("empty", operator ? "No burst pools. Create one below." : "No burst pools. Ask for one below."));
    const tz = tenant.timezone;
    replace(
      list,
      table(
        ["Scope", "State", "Pool", "Drawn", "Reason", "Expires", "Asked by", ""],
        bursts.map((b) => [
          b.scope,
          stateBadge(b.state),
          usd(b.amountUsd),
          h(
            "div",
            {},
            bar(b.amountUsd ? b.spentUsd / b.amountUsd : 0, {
              reserved: b.amountUsd ? b.reservedUsd / b.amountUsd : 0,
              label: `${usd(b.spentUsd)} drawn`,
            }),
            h("small", { class: "muted" }, `${usd(b.spentUsd)} drawn · ${usd(b.remainingUsd)} left`),
          ),
          b.reason,
          dateTime(b.expiresAt, tz),
          `${b.requestedBy}, ${dateTime(b.createdAt, tz)}`,
          actions(tenant, b, operator, reload),
        ]),
        { class: "bursts", numeric: [2] },
      ),
    );
  };
  await reload();
}

function actions(tenant: Tenant, b: Burst, operator: boolean, reload: () => Promise<void>): HTMLElement {
  const box = h("span", { class: "actions", "data-burst-id": b.id });
  const act = (label: string, verb: "approve" | "close", cls: string) => {
    const button = h("button", { type: "button", class: cls, "data-test": `burst-${verb}` }, label);
    button.addEventListener("click", () => {
      button.disabled = true;
      api(`/tenants/${seg(tenant.id)}/bursts/${seg(b.id)}/${verb}`, { method: "POST" })
        .then(reload)
        .catch((err: unknown) => {
          button.disabled = false;
          append(box, state("error", describe(err)));
        });
    });
    return button;
  };
  if (b.state === "pending") {
    if (operator) box.appendChild(act("Approve", "approve", ""));
    else box.appendChild(h("span", { class: "muted" }, "awaiting the operator "));
  }
  if (b.state === "pending" || b.state === "active")
    box.appendChild(act(b.state === "pending" ? "Withdraw" : "Close", "close", "button-quiet"));
  return box;
}

function createForm(tenant: Tenant, operator: boolean, reload: () => Promise<void>): HTMLElement {
  const scope = h("input", { id: "burst-scope", required: true, value: "tenant", placeholder: "tenant, user:<id> or feature:<id>" });
  const amount = h("input", { id: "burst-amount", type: "number", required: true, min: "0.000001", step: "any", placeholder: "50" });
  const reason = h("input", { id: "burst-reason", required: true, maxlength: 500, placeholder: "launch week" });
  const expires = h("input", { id: "burst-expires", type: "date", required: true });
  const out = h("div", { "aria-live": "polite" });
  const submit = h("button", { type: "submit" }, operator ? "Create pool" : "Ask for a pool");
  const field = (label: string, input: HTMLElement) => h("div", { class: "field" }, h("label", { for: input.id }, label), input);
  const form = h(
    "form",
    { class: "form-grid" },
    field("Scope", scope),
    field("Amount (USD)", amount),
    field("Reason", reason),
    field("Expires (end of day, UTC)", expires),
    h("div", { class: "field field-submit" }, submit),
  );
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    submit.disabled = true;
    const body = {
      scope: scope.value.trim(),
      amountUsd: Number(amount.value),
      reason: reason.value.trim(),
      expiresAt: `${expires.value}T23:59:59Z`,
    };
    api(`/tenants/${seg(tenant.id)}/bursts`, { method: "POST", body })
      .then(async () => {
        replace(out, state("info", operator ? "Pool created, active now." : "Asked; the operator will approve or not."));
        form.reset();
        scope.value = "tenant";
        await reload();
      })
      .catch((err: unknown) => replace(out, state("error", describe(err))))
      .finally(() => {
        submit.disabled = false;
      });
  });
  return h("section", { class: "card" }, h("h2", {}, operator ? "Create a burst pool" : "Ask for a burst pool"), form, out);
}
