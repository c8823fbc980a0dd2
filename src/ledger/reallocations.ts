/**
 * Reallocation requests, the ledger's side: ask (`pending`), then approve
 * (`applied`) or reject (`rejected`). Applying is one transaction: re-read
 * both scopes' monthly windows exactly as a reserve does (scopesFor +
 * windowStates, so plans and earlier adjustments count), check that `from`
 * still covers what it has spent and holds, and add the two monthly limit
 * adjustments. The adjustments live in the object's memory
 * (`LedgerState.adjustments`), read once, so the hot path reads no extra row.
 */
import {
  checkApply,
  parseScope,
  type Adjustments,
  type ReallocationInput,
  type ReallocationScope,
  type ReallocationState,
} from "../budget/reallocation";
import { toMicros, toUsd } from "../budget/limits";
import type { ScopeWindow } from "../budget/types";
import { windowsAt } from "../budget/windows";
import { tenant } from "./admin";
import { formatUsd, scopeKey, scopesFor, windowStates } from "./scopes";
import type { Ledger } from "./state";
import type { CounterRow, TenantRow } from "./storage";
import { ReallocationStore, type ReallocationRow } from "./storage/reallocations";

/** A request as the admin API shows it; money in USD. */
export interface Reallocation {
  id: string;
  from: string;
  to: string;
  amountUsd: number;
  reason: string;
  month: string;
  state: ReallocationState;
  requestedBy: string;
  requestedAt: string;
  decidedBy: string | null;
  decidedAt: string | null;
  decisionReason: string | null;
  /** Both monthly limits before and after, once applied. */
  applied: { from: { limitUsd: number; newLimitUsd: number }; to: { limitUsd: number; newLimitUsd: number } } | null;
}

/** Why a step refused; the route turns it into an ApiError. */
export interface Failure {
  status: 403 | 404 | 409;
  code: string;
  message: string;
  details?: unknown;
}

/** A step's answer: the request, or why not. */
export type Outcome = { ok: Reallocation } | { fail: Failure };

const fail = (status: Failure["status"], code: string, message: string, details?: unknown): { fail: Failure } => ({
  fail: { status, code, message, ...(details === undefined ? {} : { details }) },
});

/** The row as the API shows it. */
export function viewOf(r: ReallocationRow): Reallocation {
  return {
    id: r.id,
    from: r.from_scope,
    to: r.to_scope,
    amountUsd: toUsd(r.amount),
    reason: r.reason,
    month: r.month,
    state: r.state,
    requestedBy: r.requested_by,
    requestedAt: new Date(r.requested_at).toISOString(),
    decidedBy: r.decided_by,
    decidedAt: r.decided_at === null ? null : new Date(r.decided_at).toISOString(),
    decisionReason: r.decision_reason,
    applied: r.applied === null ? null : (JSON.parse(r.applied) as Reallocation["applied"]),
  };
}

/** The tenant's monthly limit adjustments, read once into memory (an approval makes the next call re-read them). */
export function adjustmentsOf(l: Ledger): Adjustments {
  if (l.state.adjustments !== undefined) return l.state.adjustments;
  const m = new Map<string, Map<string, number>>();
  if (l.state.schemaReady) {
    for (const a of new ReallocationStore(l.sql).adjustments()) {
      const months = m.get(a.scope) ?? new Map<string, number>();
      months.set(a.month, a.delta);
      m.set(a.scope, months);
    }
  }
  l.state.adjustments = m;
  return m;
}

/** This month (`YYYY-MM`) in the tenant's time zone. */
export function currentMonth(t: TenantRow, now: number): string {
  return windowsAt(now, t.config.timezone).monthly.key.slice(6);
}

/** One scope's monthly window this month, built exactly as a reserve builds it (counters read unless given). */
export function monthWindow(l: Ledger, t: TenantRow, scope: string, now: number, counters?: ReadonlyMap<string, CounterRow>): ScopeWindow {
  const p = parseScope(scope);
  const scopes = scopesFor({
    tenant: t.config,
    userId: p.kind === "user" ? p.id : "",
    feature: p.kind === "feature" ? p.id : "",
    user: p.kind === "user" ? l.store.user(p.id) : undefined,
    featureConfig: p.kind === "feature" ? l.store.feature(p.id) : undefined,
    adjustments: adjustmentsOf(l),
  }).filter((s) => scopeKey(s.ref) === scope);
  const win = windowsAt(now, t.config.timezone);
  const rows = counters ?? l.store.counters([scope], [win.monthly.key]);
  return windowStates(scopes, win, rows).find((w) => w.window === "monthly") as ScopeWindow;
}

/** Declared: a feature stored by PUT features; a user stored by PUT users or bound to a key. */
function declared(l: Ledger, store: ReallocationStore, p: ReallocationScope): boolean {
  if (p.kind === "feature") return l.store.feature(p.id) !== undefined;
  return l.store.user(p.id) !== undefined || store.userHasKey(p.id);
}

/** Asks to move `amountUsd` of this month's limit from one scope to another; null when the tenant does not exist. */
export function requestReallocation(l: Ledger, input: ReallocationInput, actor: string, now = Date.now()): Outcome | null {
  const t = tenant(l);
  if (!t) return null;
  const store = new ReallocationStore(l.sql);
  const month = currentMonth(t, now);
  for (const side of ["from", "to"] as const) {
    const p = parseScope(input[side]);
    if (!declared(l, store, p)) {
      const how =
        p.kind === "feature"
          ? `PUT /tenants/${t.tenantId}/features/${p.id}`
          : `PUT /tenants/${t.tenantId}/users/${p.id} or a key bound to it`;
      return fail(404, "scope_not_found", `${side}: ${p.kind} ${p.id} is not declared in tenant ${t.tenantId} (declare it with ${how}).`, [
        { field: side, message: "not declared" },
      ]);
    }
    if (monthWindow(l, t, input[side], now).limit === null) {
      return fail(
        409,
        "scope_unlimited",
        `${side}: ${p.kind} ${p.id} has no monthly limit in ${month}, so there is no limit to move; set one first.`,
        [{ field: side, message: "no monthly limit" }],
      );
    }
  }
  const row: ReallocationRow = {
    id: `ra_${crypto.randomUUID().replace(/-/g, "")}`,
    from_scope: input.from,
    to_scope: input.to,
    amount: toMicros(input.amountUsd),
    reason: input.reason,
    month,
    state: "pending",
    requested_by: actor,
    requested_at: now,
    decided_by: null,
    decided_at: null,
    decision_reason: null,
    applied: null,
  };
  l.ctx.storage.transactionSync(() => {
    store.insert(row);
    l.store.audit({ at: now, actor, action: "reallocation.request", target: row.id, before: null, after: viewOf(row) });
  });
  return { ok: viewOf(row) };
}

/** The 409 when `from` cannot give the amount, with the figures. */
function noRoom(r: ReallocationRow, c: { limit: number; reduced: number; spent: number; reserved: number }): { fail: Failure } {
  const p = parseScope(r.from_scope);
  return fail(
    409,
    "reallocation_exceeds_room",
    `Cannot move ${formatUsd(r.amount)} from ${p.kind} ${p.id}: its monthly limit ${formatUsd(c.limit)} would become ${formatUsd(c.reduced)}, ` +
      `below its spent ${formatUsd(c.spent)} plus reserved ${formatUsd(c.reserved)} (calls in flight and edge allowance holds) this month. Nothing was applied.`,
    {
      scope: r.from_scope,
      limitUsd: toUsd(c.limit),
      reducedLimitUsd: toUsd(c.reduced),
      spentUsd: toUsd(c.spent),
      reservedUsd: toUsd(c.reserved),
    },
  );
}

/**
 * Approves (applies) or rejects a pending request. Decided by the operator or
 * an admin key other than the requester's; null when the tenant does not exist.
 */
export function decideReallocation(
  l: Ledger,
  id: string,
  decision: "approve" | "reject",
  actor: string,
  reason: string | undefined,
  now = Date.now(),
): Outcome | null {
  const t = tenant(l);
  if (!t) return null;
  const store = new ReallocationStore(l.sql);
  return l.ctx.storage.transactionSync((): Outcome => {
    const r = store.get(id);
    if (!r) return fail(404, "reallocation_not_found", `Reallocation ${id} not found.`);
    if (actor !== "operator" && actor === r.requested_by) {
      return fail(
        403,
        "own_request",
        "A reallocation is decided by the operator or another admin key of the tenant, never by the key that asked for it.",
      );
    }
    if (r.state !== "pending") return fail(409, "reallocation_not_pending", `Reallocation ${id} is already ${r.state}.`);
    const decided: ReallocationRow = { ...r, state: "rejected", decided_by: actor, decided_at: now, decision_reason: reason ?? null };
    if (decision === "approve") {
      const month = currentMonth(t, now);
      if (r.month !== month) {
        return fail(
          409,
          "reallocation_month_ended",
          `Reallocation ${id} moves budget in ${r.month}, which has ended; reject it and ask again for ${month}.`,
        );
      }
      const from = monthWindow(l, t, r.from_scope, now);
      const to = monthWindow(l, t, r.to_scope, now);
      const c = checkApply({
        amount: r.amount,
        from: { limit: from.limit, spent: from.spent, reserved: from.reserved },
        to: { limit: to.limit },
      });
      if (!c.ok && c.code === "scope_unlimited") {
        const scope = c.side === "from" ? r.from_scope : r.to_scope;
        return fail(409, "scope_unlimited", `${c.side}: ${scope} has no monthly limit in ${month} any more; nothing was applied.`);
      }
      if (!c.ok) return noRoom(r, c);
      store.adjust(r.from_scope, month, -r.amount);
      store.adjust(r.to_scope, month, r.amount);
      // Re-read on the next use, within this same turn: no reserve can run between the write and the re-read.
      l.state.adjustments = undefined;
      decided.state = "applied";
      decided.applied = JSON.stringify({
        from: { limitUsd: toUsd(c.fromLimit), newLimitUsd: toUsd(c.fromNew) },
        to: { limitUsd: toUsd(c.toLimit), newLimitUsd: toUsd(c.toNew) },
      });
    }
    store.decide(decided);
    l.store.audit({ at: now, actor, action: `reallocation.${decision}`, target: id, before: viewOf(r), after: viewOf(decided) });
    return { ok: viewOf(decided) };
  });
}

/** One request; null when the tenant does not exist. */
export function getReallocation(l: Ledger, id: string): Outcome | null {
  if (!tenant(l)) return null;
  const r = new ReallocationStore(l.sql).get(id);
  return r ? { ok: viewOf(r) } : fail(404, "reallocation_not_found", `Reallocation ${id} not found.`);
}

/** Requests newest first, optionally of one state; null when the tenant does not exist. */
export function listReallocations(l: Ledger, state: ReallocationState | undefined, limit: number): Reallocation[] | null {
  if (!tenant(l)) return null;
  return new ReallocationStore(l.sql).list({ state }, limit).map(viewOf);
}

/** The pending requests of a month, newest first (the review's open list). */
export function listOpen(l: Ledger, month: string): Reallocation[] {
  return new ReallocationStore(l.sql).list({ state: "pending", month }, 1000).map(viewOf);
}
