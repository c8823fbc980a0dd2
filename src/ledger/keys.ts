/**
 * Keys and identity: issuing, listing and revoking guard keys, verifying a
 * key hash (cached; failures throttled per tenant object), and attributing a
 * call to a user and feature under the key's role.
 */
import { generateKey, randomBase62, sha256Hex, type Role } from "../auth/keys";
import { tenant } from "./admin";
import type { Denied } from "./denials";
import type { Attribution } from "./reserve-tx";
import type { Ledger } from "./state";
import type { KeyRow } from "./storage";
import type { KeyInfo, Principal } from "./types";

/** More failed authentications than this per tenant object and minute are refused with a 429. */
const AUTH_FAILURES_ALLOWED = 20;
const AUTH_WINDOW_MS = 60_000;

/** A verified key, or why not. */
export type AuthResult = { ok: true; key: KeyRow } | { ok: false; throttled: boolean };

/** Verifies a key hash: who it is, or a failure (counted). Cached in memory; revocation evicts. */
export function authenticate(l: Ledger, keyHash: string, now: number): AuthResult {
  const row = tenant(l) ? (l.state.keys.get(keyHash) ?? l.store.keyByHash(keyHash)) : undefined;
  if (row) l.state.keys.set(keyHash, row);
  if (!row || row.revoked_at !== null || (row.expires_at !== null && row.expires_at <= now)) {
    // Failures are counted here, per tenant object: a guessing attack on one tenant's prefix is
    // refused without any global hot spot, and valid keys are never locked out (they are checked first).
    const failures = l.state.authFailures;
    failures.push(now);
    while ((failures[0] ?? now) < now - AUTH_WINDOW_MS) failures.shift();
    return { ok: false, throttled: failures.length > AUTH_FAILURES_ALLOWED };
  }
  return { ok: true, key: row };
}

/** The denial for a failed authentication. */
export function authDenied(a: { throttled: boolean }): Denied {
  return a.throttled
    ? {
        status: "denied",
        httpStatus: 429,
        code: "too_many_auth_failures",
        message: "Too many failed authentication attempts for this tenant; try again in a minute.",
      }
    : { status: "denied", httpStatus: 401, code: "invalid_api_key", message: "Invalid API key." };
}

/** The principal behind a key hash, for the admin API's role checks. */
export function whoami(l: Ledger, keyHash: string): Principal | "throttled" | null {
  const a = authenticate(l, keyHash, Date.now());
  if (!a.ok) return a.throttled ? "throttled" : null;
  return { keyId: a.key.id, role: a.key.role, userId: a.key.user_id, feature: a.key.feature };
}

/** Issues a key; the plaintext is returned here once and never stored. */
export async function createKey(
  l: Ledger,
  opts: { name: string; role: Role; userId?: string; feature?: string; expiresAt?: number },
  actor: string,
): Promise<(KeyInfo & { key: string }) | null> {
  const t = tenant(l);
  if (!t) return null;
  const key = generateKey(t.tenantId);
  const row: KeyRow = {
    id: `key_${randomBase62(16)}`,
    hash: await sha256Hex(key),
    name: opts.name,
    role: opts.role,
    user_id: opts.userId ?? null,
    feature: opts.feature ?? null,
    created_at: Date.now(),
    expires_at: opts.expiresAt ?? null,
    revoked_at: null,
  };
  l.ctx.storage.transactionSync(() => {
    l.store.insertKey(row);
    l.store.audit({ at: row.created_at, actor, action: "key.create", target: row.id, before: null, after: keyInfo(row) });
  });
  return { ...keyInfo(row), key };
}

/** Every key of the tenant, without secrets. */
export function listKeys(l: Ledger): KeyInfo[] {
  if (!l.state.schemaReady) return [];
  return l.store.keys().map(keyInfo);
}

/** Revokes a key; the next request with it fails (the in-memory cache entry goes with it). */
export function revokeKey(l: Ledger, id: string, actor: string): KeyInfo | null {
  if (!tenant(l)) return null;
  const row = l.store.keyById(id);
  if (!row) return null;
  if (row.revoked_at === null) {
    const before = keyInfo(row);
    const at = Date.now();
    row.revoked_at = at;
    l.ctx.storage.transactionSync(() => {
      l.store.revokeKey(id, at);
      l.store.audit({ at, actor, action: "key.revoke", target: id, before, after: keyInfo(row) });
    });
  }
  l.state.keys.delete(row.hash);
  return keyInfo(row);
}

/** A key as the admin API shows it. */
export function keyInfo(k: KeyRow): KeyInfo {
  return {
    id: k.id,
    name: k.name,
    role: k.role,
    userId: k.user_id,
    feature: k.feature,
    createdAt: new Date(k.created_at).toISOString(),
    expiresAt: k.expires_at === null ? null : new Date(k.expires_at).toISOString(),
    revokedAt: k.revoked_at === null ? null : new Date(k.revoked_at).toISOString(),
  };
}

/** Who a call is attributed to under the key's role (DESIGN "Identity and attribution"). */
export function attribute(
  key: KeyRow,
  req: { userId: string | null; bodyUserId?: string | null; feature: string | null },
): Required<Attribution> | { denied: Denied } {
  const deny = (httpStatus: 400 | 403, code: string, message: string) => ({
    denied: { status: "denied" as const, httpStatus, code, message },
  });
  if (key.role === "admin")
    return deny(403, "forbidden", "Admin keys manage the tenant; they cannot call the LLM routes. Use a user or service key.");
  let userId: string;
  if (key.role === "user") {
    if (req.userId && req.userId !== key.user_id) return deny(403, "forbidden", "This key is bound to another user.");
    userId = key.user_id ?? "";
  } else {
    const named = req.userId ?? req.bodyUserId ?? null;
    if (!named)
      return deny(400, "missing_user", "Service keys must name the user: send the X-Budget-User header or the body's user field.");
    userId = named;
  }
  if (key.feature && req.feature && req.feature !== key.feature) return deny(403, "forbidden", "This key is bound to another feature.");
  return { userId, feature: key.feature ?? req.feature ?? "default", featureBound: key.feature !== null };
}
