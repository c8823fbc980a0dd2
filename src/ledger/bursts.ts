/**
 * Burst pools, the admin side (DESIGN "Budgets that move"): a pool is asked
 * for by a tenant admin (`pending`) or made by the operator (`active`),
 * approved by the operator, closed by either; every change is audited in
 * its transaction and resets the object's pool index, which the reserve path
 * reads. The post-spend analysis reads the pool's counters and its
 * `burst_usage` rows. Money leaves here in USD.
 */
import { randomBase62 } from "../auth/keys";
import { toUsd } from "../budget/limits";
import { tenant } from "./admin";
import { poolScope, TOTAL_WIN, indexPools, type PoolIndex } from "./bursts-reserve";
import type { Ledger } from "./state";
import type { BurstGroupRow, BurstRow } from "./storage/bursts";

/** How long a closed or expired pool's draws stay credited to its scope: longer than any monthly window. */
const CREDIT_MS = 62 * 86_400_000;
/** Pools listed at most. */
const LIST_LIMIT = 500;
/** Entries in each top list of the analysis. */
const TOP = 10;

/** A pool as asked for (validated at the edge; micro-USD, epoch ms). */
export interface BurstInput {
  scope: string;
  amount: number;
  maxPerRequest: number | null;
  reason: string;
  expiresAt: number;
}

/** A pool's state as reported: stored `pending | active | closed`, or derived `expired | exhausted`. */
export type BurstState = "pending" | "active" | "closed" | "expired" | "exhausted";

/** A pool as listed (USD, ISO instants). */
export interface BurstInfo {
  id: string;
  scope: string;
  state: BurstState;
  amountUsd: number;
  maxPerRequestUsd: number | null;
  reason: string;
  expiresAt: string;
  requestedBy: string;
  createdAt: string;
  approvedBy: string | null;
  approvedAt: string | null;
  closedBy: string | null;
  closedAt: string | null;
  spentUsd: number;
  reservedUsd: number;
  remainingUsd: number;
}

/** Spend and requests of one user (`userId`), feature or model in a pool. */
export type BurstGroup<K extends string> = Record<K, string> & { spentUsd: number; requests: number };

/** The post-spend analysis of a pool. */
export interface BurstAnalysis extends BurstInfo {
  requests: number;
  topUsers: BurstGroup<"userId">[];
  topFeatures: BurstGroup<"feature">[];
  topModels: BurstGroup<"model">[];
  daysActive: number;
  firstDrawAt: string | null;
  lastDrawAt: string | null;
}

/** Why a pool change was refused. */
export type BurstRefusal = { error: "tenant_not_found" | "scope_not_found" | "not_found" | "not_pending" | "closed" };

const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());

/** The pool index the reserve path reads, loaded on first use. */
export function burstPools(l: Ledger): PoolIndex {
  l.state.burstPools ??= indexPools(l.store.bursts.live(Date.now() - CREDIT_MS));
  return l.state.burstPools;
}

/**
 * Whether a scope is declared, as reallocations read it: a user stored by PUT
 * users or bound to a key, a feature stored by PUT features (or `default`,
 * the feature of every call that names none).
 */
function declared(l: Ledger, scope: string): boolean {
  if (scope === "tenant") return true;
  const colon = scope.indexOf(":");
  const [kind, id] = [scope.slice(0, colon), scope.slice(colon + 1)];
  if (kind === "user") return l.store.user(id) !== undefined || l.store.keys().some((k) => k.user_id === id);
  return id === "default" || l.store.feature(id) !== undefined;
}

function used(l: Ledger, ids: readonly string[]): Map<string, { spent: number; reserved: number; requests: number }> {
  const rows = l.store.counters(ids.map(poolScope), [TOTAL_WIN]);
  return new Map(ids.map((id) => [id, rows.get(`${poolScope(id)}\u0000${TOTAL_WIN}`) ?? { spent: 0, reserved: 0, requests: 0 }]));
}

function infoOf(r: BurstRow, u: { spent: number; reserved: number }, now: number): BurstInfo {
  const remaining = Math.max(0, r.amount - u.spent - u.reserved);
  const state: BurstState =
    r.state === "closed" ? "closed" : now >= r.expires_at ? "expired" : r.state === "pending" ? "pending" : remaining === 0 ? "exhausted" : "active";
  return {
    id: r.id,
    scope: r.scope,
    state,
    amountUsd: toUsd(r.amount),
    maxPerRequestUsd: r.max_per_request === null ? null : toUsd(r.max_per_request),
    reason: r.reason,
    expiresAt: new Date(r.expires_at).toISOString(),
    requestedBy: r.requested_by,
    createdAt: new Date(r.created_at).toISOString(),
    approvedBy: r.approved_by,
    approvedAt: iso(r.approved_at),
    closedBy: r.closed_by,
    closedAt: iso(r.closed_at),
    spentUsd: toUsd(u.spent),
    reservedUsd: toUsd(u.reserved),
    remainingUsd: toUsd(remaining),
  };
}

function info(l: Ledger, r: BurstRow, now: number): BurstInfo {
  return infoOf(r, used(l, [r.id]).get(r.id) ?? { spent: 0, reserved: 0 }, now);
}

/** Creates a pool: active when the operator makes it, pending when a tenant admin asks. */
export function createBurst(l: Ledger, input: BurstInput, actor: string, byOperator: boolean): BurstInfo | BurstRefusal {
  if (!tenant(l)) return { error: "tenant_not_found" };
  if (!declared(l, input.scope)) return { error: "scope_not_found" };
  const now = Date.now();
  const row: BurstRow = {
    id: `bp_${randomBase62(16)}`,
    scope: input.scope,
    amount: input.amount,
    max_per_request: input.maxPerRequest,
    reason: input.reason,
    expires_at: input.expiresAt,
    state: byOperator ? "active" : "pending",
    requested_by: actor,
    created_at: now,
    approved_by: byOperator ? actor : null,
    approved_at: byOperator ? now : null,
    closed_by: null,
    closed_at: null,
    first_draw_at: null,
    last_draw_at: null,
  };
  l.ctx.storage.transactionSync(() => {
    l.store.bursts.insert(row);
    l.store.audit({ at: now, actor, action: "burst.create", target: row.id, before: null, after: row });
  });
  l.state.burstPools = undefined;
  return infoOf(row, { spent: 0, reserved: 0 }, now);
}

/** Changes a pool's state (approve or close), audited; the refusal when it cannot. */
function change(l: Ledger, id: string, actor: string, to: "active" | "closed"): BurstInfo | BurstRefusal {
  if (!tenant(l)) return { error: "tenant_not_found" };
  const now = Date.now();
  const out = l.ctx.storage.transactionSync((): BurstInfo | BurstRefusal => {
    const before = l.store.bursts.get(id);
    if (!before) return { error: "not_found" };
    if (to === "active" && (before.state !== "pending" || now >= before.expires_at)) return { error: "not_pending" };
    if (to === "closed" && before.state === "closed") return { error: "closed" };
    if (to === "active") l.store.bursts.approve(id, actor, now);
    else l.store.bursts.close(id, actor, now);
    const after = l.store.bursts.get(id) as BurstRow;
    l.store.audit({ at: now, actor, action: to === "active" ? "burst.approve" : "burst.close", target: id, before, after });
    return info(l, after, now);
  });
  l.state.burstPools = undefined;
  return out;
}

/** Approves a pending pool (the operator). */
export function approveBurst(l: Ledger, id: string, actor: string): BurstInfo | BurstRefusal {
  return change(l, id, actor, "active");
}

/** Closes a pool: no further draws; what was drawn stays spent, calls in flight settle against it. */
export function closeBurst(l: Ledger, id: string, actor: string): BurstInfo | BurstRefusal {
  return change(l, id, actor, "closed");
}

/** Every pool of the tenant, newest first, with its state and remaining; null when the tenant does not exist. */
export function listBursts(l: Ledger): BurstInfo[] | null {
  if (!tenant(l)) return null;
  const now = Date.now();
  const rows = l.store.bursts.list(LIST_LIMIT);
  const u = used(
    l,
    rows.map((r) => r.id),
  );
  return rows.map((r) => infoOf(r, u.get(r.id) ?? { spent: 0, reserved: 0 }, now));
}

function groups<K extends string>(rows: readonly BurstGroupRow[], name: K): BurstGroup<K>[] {
  return rows.map((g) => ({ [name]: g.key, spentUsd: toUsd(g.spent), requests: g.requests }) as BurstGroup<K>);
}

/** The post-spend analysis of one pool. */
export function burstAnalysis(l: Ledger, id: string): BurstAnalysis | BurstRefusal {
  if (!tenant(l)) return { error: "tenant_not_found" };
  const r = l.store.bursts.get(id);
  if (!r) return { error: "not_found" };
  const u = used(l, [id]).get(id) ?? { spent: 0, reserved: 0, requests: 0 };
  return {
    ...infoOf(r, u, Date.now()),
    requests: u.requests,
    topUsers: groups(l.store.bursts.top(id, "user_id", TOP), "userId"),
    topFeatures: groups(l.store.bursts.top(id, "feature", TOP), "feature"),
    topModels: groups(l.store.bursts.top(id, "model", TOP), "model"),
    daysActive: l.store.bursts.daysActive(id),
    firstDrawAt: iso(r.first_draw_at),
    lastDrawAt: iso(r.last_draw_at),
  };
}
