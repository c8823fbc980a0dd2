/**
 * What the object answers without changing anything: the caller's budget
 * (`GET /v1/budget`), usage and review reports, the audit log, the alert
 * outbox and single counters (tests, reports).
 */
import type { CommitmentReport } from "../budget/commitment";
import { windowsAt } from "../budget/windows";
import { tenant } from "./admin";
import { commitmentFor, withCommitment } from "./commitments";
import { planReport } from "./plan";
import { adjustmentsOf } from "./reallocations";
import { withReallocations, type ReallocationReview } from "./reallocations-review";
import { reviewReport, usageReport, type UsageQuery, type UsageReport } from "./reports";
import { admit } from "./reserve";
import { scopeKey, scopesFor, windowStates } from "./scopes";
import type { Ledger } from "./state";
import type { AlertInfo, AuditEntry, BudgetLine, ReserveResult } from "./types";

const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());

/** Every scope a caller falls under with limit, spent, reserved, remaining and reset. */
export function budget(
  l: Ledger,
  keyHash: string,
  userId: string | null,
  feature: string | null,
): { lines: BudgetLine[] } | Extract<ReserveResult, { status: "denied" }> {
  const now = Date.now();
  const admitted = admit(l, { keyHash, userId, feature }, now, true);
  if ("denied" in admitted) return admitted.denied;
  const { tenant: t, who } = admitted;
  const scopes = scopesFor({
    tenant: t.config,
    userId: who.userId,
    feature: who.feature,
    user: l.store.user(who.userId),
    featureConfig: l.store.feature(who.feature),
    adjustments: adjustmentsOf(l),
  });
  const windows = windowsAt(now, t.config.timezone);
  const counters = l.store.counters(
    scopes.map((s) => scopeKey(s.ref)),
    [windows.daily.key, windows.monthly.key],
  );
  const lines = windowStates(scopes, windows, counters).map((w) => ({
    scope: w.scope.kind,
    scopeId: w.scope.id,
    window: w.window,
    windowKey: w.key,
    limit: w.limit,
    spent: w.spent,
    reserved: w.reserved,
    remaining: w.limit === null ? null : Math.max(0, w.limit - w.spent - w.reserved),
    resetAt: w.resetAt,
  }));
  return { lines };
}

/** Usage per user, feature or model for a day or month; null when the tenant does not exist. */
export function usage(l: Ledger, q: Omit<UsageQuery, "at"> & { at?: string }): UsageReport | null {
  const t = tenant(l);
  if (!t) return null;
  const now = Date.now();
  const at = q.at ?? windowsAt(now, t.config.timezone)[q.period === "day" ? "daily" : "monthly"].key.replace(/^\w+:/, "");
  return withCommitment(l, t.config, usageReport(l.store, t.config, { ...q, at }, adjustmentsOf(l)), now);
}

/**
 * The monthly review per feature (default: the current month), with open reallocations, sources and
 * suggestions, and the commitment's month; null when the tenant does not exist.
 */
export function review(
  l: Ledger,
  month?: string,
): (ReallocationReview<ReturnType<typeof reviewReport>> & { commitment: CommitmentReport | null }) | null {
  const t = tenant(l);
  if (!t) return null;
  const now = Date.now();
  const m = month ?? windowsAt(now, t.config.timezone).monthly.key.replace(/^month:/, "");
  return { ...withReallocations(l, t, reviewReport(l.store, m, adjustmentsOf(l)), now), commitment: commitmentFor(l, t.config, m, now) };
}

/** The monthly plan's 13 rows; null when the tenant does not exist. */
export function plan(l: Ledger, now = Date.now()): ReturnType<typeof planReport> | null {
  const t = tenant(l);
  return t ? planReport(l.store, t.config, now) : null;
}

/** The audit log, newest first; page with `beforeId`. */
export function auditLog(l: Ledger, limit = 100, beforeId: number | null = null): AuditEntry[] | null {
  if (!tenant(l)) return null;
  return l.store.auditLog(limit, beforeId).map((a) => ({
    id: a.id,
    at: new Date(a.at).toISOString(),
    actor: a.actor,
    action: a.action,
    target: a.target,
    before: a.before,
    after: a.after,
  }));
}

/** The alert outbox, newest first, each with its deliveries. */
export function listAlerts(l: Ledger, limit = 200): AlertInfo[] {
  if (!l.state.schemaReady) return [];
  return l.store.alerts(limit).map((a) => ({
    id: a.id,
    scope: a.scope,
    win: a.win,
    kind: a.kind,
    threshold: a.threshold,
    state: a.state,
    attempts: a.attempts,
    createdAt: new Date(a.created_at).toISOString(),
    deliveredAt: iso(a.delivered_at),
    lastError: a.last_error,
    payload: a.payload,
    deliveries: l.store.deliveries(a.id).map((d) => ({
      dest: d.dest,
      state: d.state,
      attempts: d.attempts,
      lastError: d.last_error,
      deliveredAt: iso(d.delivered_at),
      nextAttemptAt: d.state !== "pending" ? null : iso(d.next_attempt_at),
    })),
  }));
}

/** One counter row (zero when absent), for tests and reports. */
export function counter(l: Ledger, scope: string, win: string): { spent: number; reserved: number; requests: number } {
  if (!l.state.schemaReady) return { spent: 0, reserved: 0, requests: 0 };
  const row = l.store.counters([scope], [win]).get(`${scope}\u0000${win}`);
  return { spent: row?.spent ?? 0, reserved: row?.reserved ?? 0, requests: row?.requests ?? 0 };
}
