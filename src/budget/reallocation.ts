/**
 * Reallocation requests, the pure parts (DESIGN "Budgets that move"): the
 * request body, the monthly limit adjustments an applied request leaves, the
 * check that decides whether one can apply, and the sources the review
 * suggests. A request moves part of one scope's monthly limit (`feature:<id>`
 * or `user:<id>`) to another for one month; the tenant's own limit never
 * moves, so the tenant total stays what the operator set.
 */
import { z } from "zod";

/** A reallocation scope as written in a request; the same string is the scope's counter key. */
export const REALLOCATION_SCOPE = /^(feature|user):[A-Za-z0-9._@-]{1,128}$/;

const scope = z
  .string()
  .regex(REALLOCATION_SCOPE, "scopes are feature:<id> or user:<id>, ids 1-128 characters of letters, digits and . _ - @");

/** `POST /tenants/{t}/reallocations` body. */
export const reallocationInputSchema = z
  .object({
    from: scope,
    to: scope,
    amountUsd: z.number().finite().min(0.000001, "amountUsd must be positive (at least 0.000001)").max(1_000_000_000),
    reason: z.string().trim().min(1).max(1000),
  })
  .strict()
  .refine((r) => r.from !== r.to, { message: "from and to must be different scopes", path: ["to"] });
export type ReallocationInput = z.infer<typeof reallocationInputSchema>;

/** `approve` / `reject` body (optional). */
export const decisionInputSchema = z.object({ reason: z.string().trim().min(1).max(1000).optional() }).strict();

export type ReallocationState = "pending" | "applied" | "rejected";

/** A parsed scope. */
export interface ReallocationScope {
  kind: "feature" | "user";
  id: string;
}

/** Splits a scope string already validated by {@link REALLOCATION_SCOPE}. */
export function parseScope(s: string): ReallocationScope {
  const i = s.indexOf(":");
  return { kind: s.slice(0, i) as "feature" | "user", id: s.slice(i + 1) };
}

/** Monthly limit adjustments: scope key → month (`YYYY-MM`) → micro-USD added to that month's limit. */
export type Adjustments = ReadonlyMap<string, ReadonlyMap<string, number>>;

/** The adjustment of one scope in one month (`YYYY-MM` or a window key `month:YYYY-MM`). */
export function adjustmentOf(a: Adjustments, scopeKey: string, month: string): number {
  return a.get(scopeKey)?.get(month.startsWith("month:") ? month.slice(6) : month) ?? 0;
}

/** A monthly limit in micro-USD with its adjustment; unlimited (null) stays unlimited. */
export function adjustedMicros(limit: number | null, delta: number): number | null {
  return limit === null ? null : limit + delta;
}

/** The same in USD, for reports that speak USD (undefined = unlimited). */
export function adjustedUsd(limitUsd: number | undefined, a: Adjustments, scopeKey: string, month: string): number | undefined {
  if (limitUsd === undefined) return undefined;
  const delta = adjustmentOf(a, scopeKey, month);
  return delta === 0 ? limitUsd : (Math.round(limitUsd * 1_000_000) + delta) / 1_000_000;
}

/** What the apply check reads: both scopes' monthly limits (adjusted, micro-USD) and what `from` has used. */
export interface ApplyInput {
  amount: number;
  from: { limit: number | null; spent: number; reserved: number };
  to: { limit: number | null };
}

/** Whether a request can apply now, and the new limits or why not. */
export type ApplyCheck =
  | { ok: true; fromLimit: number; fromNew: number; toLimit: number; toNew: number }
  | { ok: false; code: "scope_unlimited"; side: "from" | "to" }
  | { ok: false; code: "insufficient_room"; limit: number; reduced: number; spent: number; reserved: number };

/**
 * A request applies when both scopes have a monthly limit this month and
 * `from`, reduced by the amount, still covers what it has spent and holds
 * (in-flight reservations and edge allowance holds are both in `reserved`).
 */
export function checkApply(i: ApplyInput): ApplyCheck {
  if (i.from.limit === null) return { ok: false, code: "scope_unlimited", side: "from" };
  if (i.to.limit === null) return { ok: false, code: "scope_unlimited", side: "to" };
  const reduced = i.from.limit - i.amount;
  if (reduced < i.from.spent + i.from.reserved) {
    return { ok: false, code: "insufficient_room", limit: i.from.limit, reduced, spent: i.from.spent, reserved: i.from.reserved };
  }
  return { ok: true, fromLimit: i.from.limit, fromNew: reduced, toLimit: i.to.limit, toNew: i.to.limit + i.amount };
}

/** A source is a scope under this utilization this month. */
export const SOURCE_MAX_UTILIZATION = 0.5;

/** One scope's month as the source suggestion reads it (micro-USD). */
export interface ScopeUse {
  scope: string;
  /** Monthly limit with adjustments; null = unlimited. */
  limit: number | null;
  /** Spent + reserved. */
  used: number;
  /** Amounts of pending requests taking from this scope this month. */
  pendingOut: number;
}

/** A suggested source: a scope that can give without going over 50% of its reduced limit. */
export interface Source {
  scope: string;
  limitUsd: number;
  usedUsd: number;
  utilization: number;
  /** The most it can give (whole cents) so that used ≤ 50% of its new limit, less what pending requests already ask of it. */
  canGiveUsd: number;
}

/**
 * How much a scope can give, in micro-USD floored to whole cents: giving `x`
 * leaves it at `used / (limit − x)`, at most 50% while `x ≤ limit − 2·used`.
 */
export function canGive(u: ScopeUse): number {
  if (u.limit === null) return 0;
  const room = u.limit - u.used / SOURCE_MAX_UTILIZATION - u.pendingOut;
  return room <= 0 ? 0 : Math.floor(room / 10_000) * 10_000;
}

const round4 = (x: number) => Math.round(x * 10_000) / 10_000;

/** Scopes under 50% utilization with something to give, most room first (ties by name), at most `max`. */
export function sourcesOf(uses: readonly ScopeUse[], max = 20): Source[] {
  const out: Source[] = [];
  for (const u of uses) {
    if (u.limit === null || u.limit <= 0 || u.used / u.limit >= SOURCE_MAX_UTILIZATION) continue;
    const give = canGive(u);
    if (give <= 0) continue;
    out.push({
      scope: u.scope,
      limitUsd: u.limit / 1_000_000,
      usedUsd: u.used / 1_000_000,
      utilization: round4(u.used / u.limit),
      canGiveUsd: give / 1_000_000,
    });
  }
  out.sort((a, b) => b.canGiveUsd - a.canGiveUsd || a.scope.localeCompare(b.scope));
  return out.slice(0, max);
}

/** The best source for `amountUsd` to `to`: the one with the most room among those of `kind` that can give it all; null when none can. */
export function pickSource(sources: readonly Source[], amountUsd: number, to: string, kind: ReallocationScope["kind"]): Source | null {
  return sources.find((s) => s.scope !== to && s.scope.startsWith(`${kind}:`) && s.canGiveUsd >= amountUsd) ?? null;
}
