/**
 * Which guard keys the tenant's object accepted a moment ago, per isolate.
 *
 * Why: the token estimate is the only per-request work that grows with the
 * body, and it must not run for a key nobody has verified (a forged key would
 * otherwise buy megabytes of CPU for free). Checking every key first would add
 * an RPC to every quiet subject's request; instead the guard remembers, for a
 * second, the key hashes the object has just accepted. A remembered key goes
 * straight to the one reserve RPC (which authenticates again, authoritatively);
 * an unremembered key with a large body is verified first (`whoami`), and one
 * with a small body pays at most a small estimate before the reserve says 401.
 *
 * The entry only decides the order of work, never access: a revoked key that is
 * still remembered is refused by the reserve all the same, and is forgotten
 * within {@link VERIFIED_TTL_MS}.
 */

/** How long an accepted key skips the auth-first check (revocation takes effect here within this). */
export const VERIFIED_TTL_MS = 1000;
/** Bodies up to this many characters are estimated before the key is verified: the estimate costs about what parsing did. */
export const AUTH_FIRST_ABOVE_CHARS = 64 * 1024;
/** Bound on remembered keys, so a flood of distinct valid keys cannot grow the isolate's memory. */
const MAX_ENTRIES = 10_000;

const verified = new Map<string, number>();

/** Whether the object accepted `keyHash` within the last {@link VERIFIED_TTL_MS}. */
export function recentlyVerified(keyHash: string, now: number): boolean {
  const until = verified.get(keyHash);
  if (until === undefined) return false;
  if (until > now) return true;
  verified.delete(keyHash);
  return false;
}

/** Records that the object accepted `keyHash` just now. */
export function markVerified(keyHash: string, now: number): void {
  verified.delete(keyHash);
  if (verified.size >= MAX_ENTRIES) {
    // Map order is insertion order: the first entry is the oldest.
    const oldest = verified.keys().next().value;
    if (oldest !== undefined) verified.delete(oldest);
  }
  verified.set(keyHash, now + VERIFIED_TTL_MS);
}

/** Forgets `keyHash` (the object refused it). */
export function forgetVerified(keyHash: string): void {
  verified.delete(keyHash);
}
