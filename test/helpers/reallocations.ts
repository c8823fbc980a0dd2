/** Helpers of the reallocation suites: a tenant with two admin keys and features, the request routes, counters. */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect } from "vitest";
import { windowsAt } from "../../src/budget/windows";
import type { TenantLedger } from "../../src/ledger/tenant-ledger";
import { admin, createTenant } from "./guard";

/** A reallocation as the API returns it. */
export interface ReallocationBody {
  id: string;
  from: string;
  to: string;
  amountUsd: number;
  reason: string;
  month: string;
  state: "pending" | "applied" | "rejected";
  requestedBy: string;
  decidedBy: string | null;
  decisionReason: string | null;
  applied: { from: { limitUsd: number; newLimitUsd: number }; to: { limitUsd: number; newLimitUsd: number } } | null;
}

/** An admin error body. */
export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

/** This month's window key (`month:YYYY-MM`, UTC: the tenants here keep the default zone). */
export const monthKey = () => windowsAt(Date.now()).monthly.key;

/** Issues an admin key; returns its id and plaintext. */
export async function adminKey(t: string, name: string): Promise<{ id: string; key: string }> {
  const res = await admin("POST", `/tenants/${t}/keys`, { name, role: "admin" });
  if (res.status !== 201) throw new Error(`admin key: ${res.status} ${await res.text()}`);
  return (await res.json()) as { id: string; key: string };
}

/**
 * A tenant with features (name → monthly limit USD), a user key bound to `u`
 * and two admin keys (`a` asks, `b` approves).
 */
export async function reallocTenant(features: Record<string, number | null>, config: Record<string, unknown> = {}) {
  const t = await createTenant(config);
  for (const [f, monthly] of Object.entries(features)) {
    const res = await admin("PUT", `/tenants/${t}/features/${f}`, { limits: { monthly } });
    if (res.status !== 200) throw new Error(`feature: ${res.status} ${await res.text()}`);
  }
  const userKey = ((await (await admin("POST", `/tenants/${t}/keys`, { name: "u", role: "user", userId: "u" })).json()) as { key: string })
    .key;
  return { t, userKey, a: await adminKey(t, "asks"), b: await adminKey(t, "approves") };
}

/** `POST /tenants/{t}/reallocations`. */
export function requestRealloc(t: string, body: unknown, token?: string): Promise<Response> {
  return admin("POST", `/tenants/${t}/reallocations`, body, token);
}

/** `POST .../reallocations/{id}/approve|reject`. */
export function decide(t: string, id: string, action: "approve" | "reject", token?: string, body?: unknown): Promise<Response> {
  return admin("POST", `/tenants/${t}/reallocations/${id}/${action}`, body, token);
}

/** Asks (as key `token`) and returns the pending request, failing loudly otherwise. */
export async function pending(t: string, body: unknown, token?: string): Promise<ReallocationBody> {
  const res = await requestRealloc(t, body, token);
  if (res.status !== 201) throw new Error(`request: ${res.status} ${await res.text()}`);
  return (await res.json()) as ReallocationBody;
}

/** Sets a scope's spend in this month's counter directly (history a test does not want to generate by traffic). */
export async function setSpent(t: string, scope: string, spent: number): Promise<void> {
  await runInDurableObject(env.TENANT_LEDGER.getByName(t), (_i: TenantLedger, s) => {
    s.storage.sql.exec(
      `INSERT INTO counters (scope, win, spent, reserved, requests) VALUES (?, ?, ?, 0, 1)
       ON CONFLICT (scope, win) DO UPDATE SET spent = excluded.spent`,
      scope,
      monthKey(),
      spent,
    );
  });
}

/** A scope's counter this month. */
export function monthCounter(t: string, scope: string) {
  return env.TENANT_LEDGER.getByName(t).counter(scope, monthKey());
}

/** A budget block (the tenant's blockStatus, 402 or 429) with this error code. */
export async function expectBlocked(res: Response, code: string): Promise<void> {
  expect([402, 429]).toContain(res.status);
  expect(((await res.json()) as ErrorBody).error.code).toBe(code);
}

/** A key's hash as the ledger stores it (SHA-256 hex), for calling the TenantLedger's RPCs directly. */
export async function keyHash(key: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(key));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}
