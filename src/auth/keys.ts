/**
 * Guard keys: `bg_<tenantId>_<secret>`. The tenant id is readable so the
 * worker can route to the tenant's object without a global lookup; the secret
 * is 32 characters of base62 (~190 bits) and only its SHA-256 is stored.
 */
import { TENANT_ID } from "../budget/tenant-config";

/** What a key may do (DESIGN "Identity and attribution"). */
export type Role = "user" | "service" | "admin";

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const SECRET_LENGTH = 32;
const KEY_SHAPE = /^bg_([a-z0-9-]{1,64})_([A-Za-z0-9]{32})$/;

/** A crypto-random base62 string; rejection sampling keeps every character equally likely. */
export function randomBase62(length: number): string {
  let out = "";
  const buf = new Uint8Array(length * 2);
  while (out.length < length) {
    crypto.getRandomValues(buf);
    for (const b of buf) {
      if (b < 248) out += ALPHABET[b % 62];
      if (out.length === length) break;
    }
  }
  return out;
}

/** A new key for `tenantId`. */
export function generateKey(tenantId: string): string {
  if (!TENANT_ID.test(tenantId)) throw new Error("invalid tenant id");
  return `bg_${tenantId}_${randomBase62(SECRET_LENGTH)}`;
}

/** The tenant id of a well-formed key, or null for anything else. */
export function parseKey(key: string): { tenantId: string } | null {
  const m = KEY_SHAPE.exec(key);
  return m && m[1] ? { tenantId: m[1] } : null;
}

/** Hex SHA-256 of a secret: what storage holds instead of the key. */
export async function sha256Hex(value: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(value));
  let hex = "";
  for (const b of new Uint8Array(digest)) hex += b.toString(16).padStart(2, "0");
  return hex;
}

/**
 * Constant-time comparison of two secrets. Both are hashed first so the
 * comparison sees equal lengths and the time does not depend on where they differ.
 */
export async function secretsEqual(a: string, b: string): Promise<boolean> {
  const enc = new TextEncoder();
  const [da, db] = await Promise.all([crypto.subtle.digest("SHA-256", enc.encode(a)), crypto.subtle.digest("SHA-256", enc.encode(b))]);
  return crypto.subtle.timingSafeEqual(da, db);
}

/** The bearer credential of a request: `Authorization: Bearer …` or `x-api-key`. */
export function credentialOf(headers: Headers): string | null {
  const auth = headers.get("authorization");
  if (auth) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    return m?.[1] ?? null;
  }
  const apiKey = headers.get("x-api-key");
  return apiKey ? apiKey.trim() : null;
}
