/**
 * Who is signed in: the token lives in `sessionStorage` (gone when the tab
 * closes, never in a cookie) and goes out only as a bearer header on the
 * admin API's requests. What the token may do is decided by the API; the kind
 * kept here only chooses the home view.
 */

/** The signed-in caller. */
export type Session = { token: string; kind: "operator" } | { token: string; kind: "tenant_admin"; tenantId: string };

const KEY = "budget-guard.session";
const KEY_SHAPE = /^bg_([a-z0-9-]{1,64})_[A-Za-z0-9]{32}$/;

/** The stored session, if any. */
export function currentSession(): Session | null {
  try {
    const raw = sessionStorage.getItem(KEY);
    if (!raw) return null;
    const s = JSON.parse(raw) as Partial<Session> & { tenantId?: string };
    if (typeof s.token !== "string") return null;
    if (s.kind === "operator") return { token: s.token, kind: "operator" };
    if (s.kind === "tenant_admin" && typeof s.tenantId === "string") return { token: s.token, kind: "tenant_admin", tenantId: s.tenantId };
    return null;
  } catch {
    return null;
  }
}

/** Keeps the session for this tab. */
export function saveSession(s: Session): void {
  sessionStorage.setItem(KEY, JSON.stringify(s));
}

/** Forgets the token. */
export function clearSession(): void {
  sessionStorage.removeItem(KEY);
}

/** The tenant a guard key belongs to (keys read `bg_<tenant>_<secret>`), or null for anything else (the operator token). */
export function tenantOfKey(token: string): string | null {
  return KEY_SHAPE.exec(token)?.[1] ?? null;
}
