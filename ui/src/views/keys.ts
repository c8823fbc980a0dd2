/**
 * A tenant's keys: issue one (its secret is shown once, here, with a copy
 * button) and revoke one (two clicks; the next request with it is refused).
 */
import { api, describe, seg } from "../api";
import type { ViewContext } from "../app";
import { append, h, replace, state, table } from "../dom";
import { dateTime } from "../format";
import type { KeyInfo, Tenant } from "../types";

/** The keys tab. */
export async function keysTab(ctx: ViewContext, tenant: Tenant): Promise<void> {
  const list = h("div", {}, state("loading", "Loading keys…"));
  const created = h("div", { "aria-live": "polite" });
  const reload = () => loadKeys(tenant, list);
  append(
    ctx.main,
    h("section", { class: "card" }, h("h2", {}, "Issue a key"), createForm(tenant, created, reload), created),
    h("section", { class: "card" }, h("h2", {}, "Keys"), list),
  );
  await reload();
}

async function loadKeys(tenant: Tenant, el: HTMLElement): Promise<void> {
  let keys: KeyInfo[];
  try {
    keys = (await api<{ keys: KeyInfo[] }>(`/tenants/${seg(tenant.id)}/keys`)).keys;
  } catch (err) {
    replace(el, state("error", describe(err)));
    return;
  }
  if (keys.length === 0) {
    replace(el, state("empty", "No keys yet. Issue one above."));
    return;
  }
  keys.sort((a, b) => Number(a.revokedAt !== null) - Number(b.revokedAt !== null) || b.createdAt.localeCompare(a.createdAt));
  const tz = tenant.timezone;
  replace(
    el,
    table(
      ["Name", "Id", "Role", "User", "Feature", "Created", "Expires", "Status"],
      keys.map((k) => [
        k.name,
        h("code", {}, k.id),
        k.role,
        k.userId ?? "—",
        k.feature ?? "—",
        dateTime(k.createdAt, tz),
        k.expiresAt ? dateTime(k.expiresAt, tz) : "never",
        k.revokedAt
          ? h("span", { class: "badge badge-muted" }, `revoked ${dateTime(k.revokedAt, tz)}`)
          : revokeButton(tenant, k, () => loadKeys(tenant, el)),
      ]),
      { class: "keys" },
    ),
  );
}

function revokeButton(tenant: Tenant, k: KeyInfo, reload: () => Promise<void>): HTMLElement {
  const box = h("span", { class: "revoke", "data-key-id": k.id });
  const ask = h("button", { type: "button", class: "button-danger-quiet", "data-test": "revoke" }, "Revoke");
  ask.addEventListener("click", () => {
    const confirm = h("button", { type: "button", class: "button-danger", "data-test": "confirm-revoke" }, "Revoke now");
    const cancel = h("button", { type: "button", class: "button-quiet" }, "Keep");
    cancel.addEventListener("click", () => replace(box, ask));
    confirm.addEventListener("click", () => {
      confirm.disabled = true;
      api(`/tenants/${seg(tenant.id)}/keys/${seg(k.id)}`, { method: "DELETE" })
        .then(reload)
        .catch((err: unknown) => replace(box, state("error", describe(err)), ask));
    });
    replace(box, h("span", { class: "muted" }, `Revoke “${k.name}”? `), confirm, cancel);
  });
  box.appendChild(ask);
  return box;
}

function createForm(tenant: Tenant, out: HTMLElement, reload: () => Promise<void>): HTMLElement {
  const name = h("input", { id: "key-name", name: "name", required: true, maxlength: 200, placeholder: "alice laptop" });
  const role = h(
    "select",
    { id: "key-role", name: "role" },
    h("option", { value: "user" }, "user"),
    h("option", { value: "service" }, "service"),
    h("option", { value: "admin" }, "admin"),
  );
  const userId = h("input", { id: "key-user", name: "userId", maxlength: 128, placeholder: "alice" });
  const feature = h("input", { id: "key-feature", name: "feature", maxlength: 128, placeholder: "optional" });
  const expires = h("input", { id: "key-expires", name: "expiresAt", type: "date" });
  const submit = h("button", { type: "submit" }, "Issue key");
  const field = (label: string, input: HTMLElement, hint?: string) =>
    h("div", { class: "field" }, h("label", { for: input.id }, label), input, hint ? h("small", { class: "muted" }, hint) : null);
  const form = h(
    "form",
    { class: "form-grid", "data-test": "create-key" },
    field("Name", name),
    field("Role", role, "user: one person; service: a backend naming users per call; admin: manages this tenant"),
    field("User id", userId, "required for a user key"),
    field("Feature", feature),
    field("Expires", expires, "optional, midnight UTC"),
    h("div", { class: "field field-submit" }, submit),
  );
  const syncRole = () => {
    const admin = role.value === "admin";
    userId.disabled = admin;
    feature.disabled = admin;
    userId.required = role.value === "user";
  };
  role.addEventListener("change", syncRole);
  syncRole();
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const body: Record<string, string> = { name: name.value.trim(), role: role.value };
    if (!userId.disabled && userId.value.trim()) body.userId = userId.value.trim();
    if (!feature.disabled && feature.value.trim()) body.feature = feature.value.trim();
    if (expires.value) body.expiresAt = `${expires.value}T00:00:00Z`;
    submit.disabled = true;
    replace(out, state("loading", "Issuing…"));
    api<KeyInfo & { key: string }>(`/tenants/${seg(tenant.id)}/keys`, { method: "POST", body })
      .then(async (k) => {
        replace(out, shownOnce(k));
        form.reset();
        syncRole();
        await reload();
      })
      .catch((err: unknown) => replace(out, state("error", describe(err))))
      .finally(() => {
        submit.disabled = false;
      });
  });
  return form;
}

function shownOnce(k: KeyInfo & { key: string }): HTMLElement {
  const value = h("input", { class: "secret", readonly: true, value: k.key, "aria-label": "The new key", "data-test": "new-key" });
  const copy = h("button", { type: "button", "data-test": "copy-key" }, "Copy");
  const note = h("span", { class: "muted", "aria-live": "polite" });
  copy.addEventListener("click", () => {
    value.select();
    (navigator.clipboard ? navigator.clipboard.writeText(k.key) : Promise.reject(new Error("no clipboard")))
      .then(() => replace(note, "Copied."))
      .catch(() => replace(note, "Selected: press Ctrl+C (⌘C) to copy."));
  });
  return h(
    "div",
    { class: "banner banner-ok", "data-test": "key-shown-once" },
    h("p", {}, h("strong", {}, `Key “${k.name}” (${k.id}) issued.`), " Copy it now: it is shown only this once and cannot be read again."),
    h("div", { class: "copy-row" }, value, copy, note),
  );
}
