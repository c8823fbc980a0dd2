/**
 * Sign-in: the operator token or a tenant admin key. The token is tried
 * against the API before it is kept: a tenant key (`bg_<tenant>_…`) must read
 * its tenant, anything else must read the operator's global budget. A
 * refusal says so in the API's words ("not signed in" for a 401).
 */
import { api, ApiFailure, seg } from "../api";
import { h, replace, state } from "../dom";
import { saveSession, tenantOfKey, type Session } from "../session";

/** The sign-in form; `done` runs once the token is accepted and stored. */
export function signInView(reason: string | null, done: (s: Session) => void): HTMLElement {
  const input = h("input", {
    id: "token",
    name: "token",
    type: "password",
    autocomplete: "off",
    spellcheck: "false",
    required: true,
    placeholder: "dev-admin-token or bg_<tenant>_…",
  });
  const message = h("div", { class: "signin-message", "aria-live": "polite" });
  if (reason) replace(message, state("error", reason));
  const submit = h("button", { type: "submit" }, "Sign in");
  const form = h(
    "form",
    { class: "signin card", "data-test": "sign-in" },
    h("h1", {}, "budget-guard"),
    h(
      "p",
      { class: "muted" },
      "Sign in with the operator token or a tenant admin key. The token stays in this tab (session storage) and is sent only to this guard's admin API.",
    ),
    h("label", { for: "token" }, "Token"),
    input,
    submit,
    message,
  );
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const token = input.value.trim();
    if (!token) return;
    submit.disabled = true;
    replace(message, state("loading", "Checking the token…"));
    tryToken(token)
      .then((s) => {
        saveSession(s);
        done(s);
      })
      .catch((err: unknown) => {
        submit.disabled = false;
        replace(message, state("error", refusal(err)));
        input.select();
      });
  });
  queueMicrotask(() => input.focus());
  return h("div", { class: "signin-page" }, form);
}

async function tryToken(token: string): Promise<Session> {
  const tenantId = tenantOfKey(token);
  if (tenantId) {
    await api(`/tenants/${seg(tenantId)}`, { token });
    return { token, kind: "tenant_admin", tenantId };
  }
  await api("/global", { token });
  return { token, kind: "operator" };
}

function refusal(err: unknown): string {
  if (err instanceof ApiFailure) {
    if (err.status === 401) return `Not signed in: ${err.message}`;
    if (err.status === 403) return `Not signed in: ${err.message}`;
    return `Not signed in: ${err.message}`;
  }
  return `Not signed in: ${err instanceof Error ? err.message : String(err)}`;
}
