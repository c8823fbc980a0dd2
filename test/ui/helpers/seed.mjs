/**
 * The browser tests' data, made through the public surface only: tenants,
 * users, features and keys through the admin API, spend through real calls
 * to the mock provider (so usage, scope windows and alerts are the guard's
 * own), and a pending burst and reallocation where those routes exist.
 */
import { OPERATOR_TOKEN } from "./worker.mjs";

/** The XSS probe used as a tenant name and a key name. */
export const XSS_NAME = "<img src=x onerror=alert(1)>";

/**
 * Calls the admin API; throws with the body on an unexpected status.
 * @param {string} url the worker's origin
 * @param {string} path under /admin/v1
 * @param {{ method?: string, body?: unknown, token?: string, expect?: number[] }} [opts]
 */
export async function admin(url, path, opts = {}) {
  const res = await fetch(`${url}/admin/v1${path}`, {
    method: opts.method ?? "GET",
    headers: {
      authorization: `Bearer ${opts.token ?? OPERATOR_TOKEN}`,
      ...(opts.body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
  });
  const text = await res.text();
  const expect = opts.expect ?? [200, 201];
  if (!expect.includes(res.status)) throw new Error(`${opts.method ?? "GET"} ${path} → ${res.status}: ${text}`);
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

/** One chat call through the guard with a service key on behalf of `user` and `feature`. */
export async function call(url, key, { user, feature, model = "mock-small", maxTokens = 200 }) {
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json", "x-budget-user": user, "x-budget-feature": feature },
    body: JSON.stringify({
      model,
      max_tokens: maxTokens,
      messages: [{ role: "user", content: `Summarise ticket ${Math.random()} for ${user}.` }],
    }),
  });
  await res.text();
  return res.status;
}

/** Whether the guard has a route (an unknown one is a 404 `unknown_route`). */
async function hasRoute(url, path, token) {
  const res = await fetch(`${url}/admin/v1${path}`, { headers: { authorization: `Bearer ${token}` } });
  const body = await res.json().catch(() => ({}));
  return !(res.status === 404 && body?.error?.code === "unknown_route");
}

/**
 * Seeds everything the tests read.
 * @param {string} url
 */
export async function seed(url) {
  await admin(url, "/global", { method: "PUT", body: { limits: { daily: 1, monthly: 20 } } });
  await admin(url, "/tenants/acme", {
    method: "PUT",
    body: {
      name: "Acme Corp",
      limits: { daily: 0.02, monthly: 0.5 },
      timezone: "America/New_York",
      // Nothing listens here: the alert's delivery fails and the alerts view shows the retry.
      alertWebhook: "http://127.0.0.1:9/budget-alerts",
    },
  });
  await admin(url, "/tenants/acme/features/support-bot", { method: "PUT", body: { limits: { monthly: 0.2 } } });
  await admin(url, "/tenants/acme/features/search", { method: "PUT", body: { limits: { monthly: 0.1 } } });
  await admin(url, "/tenants/acme/users/dana", { method: "PUT", body: { limits: { daily: 0.0001 } } });
  const acmeAdmin = (await admin(url, "/tenants/acme/keys", { method: "POST", body: { name: "acme ops", role: "admin" } })).body.key;
  const acmeService = (await admin(url, "/tenants/acme/keys", { method: "POST", body: { name: "backend", role: "service" } })).body.key;

  await admin(url, "/tenants/globex", {
    method: "PUT",
    body: { name: "Globex, Inc.", limits: { daily: 0.01, monthly: 0.3 }, timezone: "Europe/Berlin" },
  });
  const globexService = (await admin(url, "/tenants/globex/keys", { method: "POST", body: { name: "backend", role: "service" } })).body.key;

  await admin(url, "/tenants/xss", { method: "PUT", body: { name: XSS_NAME, limits: { daily: 0.01 } } });
  await admin(url, "/tenants/xss/keys", { method: "POST", body: { name: XSS_NAME, role: "service" } });

  const calls = [
    ...Array.from({ length: 4 }, () => ({ user: "alice", feature: "support-bot", model: "mock-large" })),
    ...Array.from({ length: 3 }, () => ({ user: "bob", feature: "search", model: "mock-small" })),
    ...Array.from({ length: 2 }, () => ({ user: "carol", feature: "search", model: "mock-large" })),
    ...Array.from({ length: 3 }, () => ({ user: "dana", feature: "support-bot", model: "mock-small", maxTokens: 50 })),
  ];
  for (const c of calls) await call(url, acmeService, c);
  for (let i = 0; i < 3; i++) await call(url, globexService, { user: "hans", feature: "reports", model: "mock-large" });

  const acme = { id: "acme", adminKey: acmeAdmin, serviceKey: acmeService, dailyLimit: 0.02 };
  const features = {
    bursts: await hasRoute(url, "/tenants/acme/bursts", OPERATOR_TOKEN),
    reallocations: await hasRoute(url, "/tenants/acme/reallocations", OPERATOR_TOKEN),
  };
  const expires = new Date(Date.now() + 7 * 86_400_000).toISOString();
  if (features.bursts) {
    await admin(url, "/tenants/acme/bursts", {
      method: "POST",
      token: acmeAdmin,
      body: { scope: "feature:support-bot", amountUsd: 0.05, reason: "launch week", expiresAt: expires },
    });
  }
  if (features.reallocations) {
    await admin(url, "/tenants/acme/reallocations", {
      method: "POST",
      token: acmeAdmin,
      body: { from: "feature:search", to: "feature:support-bot", amountUsd: 0.01, reason: "support volume doubled" },
    });
  }
  return { acme, globex: { id: "globex" }, xss: { id: "xss" }, features };
}
