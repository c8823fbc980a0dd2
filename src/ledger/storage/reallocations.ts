/**
 * Storage of reallocation requests and the monthly limit adjustments applied
 * ones leave (schema v9): `reallocations` (one row per request, its state
 * and decision) and `limit_adjustments` (one row per scope and month, the
 * sum of what applied requests moved, micro-USD). The adjustments are read
 * once into the object's memory; only an approval writes them.
 */
import type { Step } from "./migration-steps";
import type { Sql } from "./sql";

/** A request as stored. */
export interface ReallocationRow {
  id: string;
  from_scope: string;
  to_scope: string;
  /** Micro-USD. */
  amount: number;
  reason: string;
  /** `YYYY-MM` in the tenant's time zone when requested: the month it moves. */
  month: string;
  state: "pending" | "applied" | "rejected";
  /** `operator` or `key:<id>` (the audit log's actor name). */
  requested_by: string;
  requested_at: number;
  decided_by: string | null;
  decided_at: number | null;
  decision_reason: string | null;
  /** JSON of the limits before and after, once applied. */
  applied: string | null;
}

/** The `reallocations` and `limit_adjustments` tables. */
export class ReallocationStore {
  constructor(private readonly sql: Sql) {}

  insert(r: ReallocationRow): void {
    this.sql.run(
      `INSERT INTO reallocations (id, from_scope, to_scope, amount, reason, month, state, requested_by, requested_at, decided_by, decided_at, decision_reason, applied)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      r.id,
      r.from_scope,
      r.to_scope,
      r.amount,
      r.reason,
      r.month,
      r.state,
      r.requested_by,
      r.requested_at,
      r.decided_by,
      r.decided_at,
      r.decision_reason,
      r.applied,
    );
  }

  get(id: string): ReallocationRow | undefined {
    return this.sql.first<ReallocationRow>(`SELECT * FROM reallocations WHERE id = ?`, id);
  }

  /** Newest first, optionally of one state and one month. */
  list(filter: { state?: string; month?: string }, limit: number): ReallocationRow[] {
    const where: string[] = [];
    const b: (string | number)[] = [];
    if (filter.state !== undefined) {
      where.push("state = ?");
      b.push(filter.state);
    }
    if (filter.month !== undefined) {
      where.push("month = ?");
      b.push(filter.month);
    }
    return this.sql.all<ReallocationRow>(
      `SELECT * FROM reallocations ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY requested_at DESC, id DESC LIMIT ?`,
      ...b,
      limit,
    );
  }

  /** Records the decision on a pending request; returns false when it was no longer pending. */
  decide(r: Pick<ReallocationRow, "id" | "state" | "decided_by" | "decided_at" | "decision_reason" | "applied">): boolean {
    return (
      this.sql.run(
        `UPDATE reallocations SET state = ?, decided_by = ?, decided_at = ?, decision_reason = ?, applied = ? WHERE id = ? AND state = 'pending'`,
        r.state,
        r.decided_by,
        r.decided_at,
        r.decision_reason,
        r.applied,
        r.id,
      ) > 0
    );
  }

  /** Every stored adjustment (a handful of rows per month: only approvals write them). */
  adjustments(): { scope: string; month: string; delta: number }[] {
    return this.sql.all(`SELECT scope, month, delta FROM limit_adjustments`);
  }

  /** Adds `delta` micro-USD to a scope's limit adjustment for a month. */
  adjust(scope: string, month: string, delta: number): void {
    this.sql.run(
      `INSERT INTO limit_adjustments (scope, month, delta) VALUES (?, ?, ?)
       ON CONFLICT (scope, month) DO UPDATE SET delta = delta + excluded.delta`,
      scope,
      month,
      delta,
    );
  }

  /** Declared users (a `users` row), by id, for the review's source candidates. */
  userIds(limit: number): string[] {
    return this.sql.all<{ user_id: string }>(`SELECT user_id FROM users ORDER BY user_id LIMIT ?`, limit).map((r) => r.user_id);
  }

  /** Whether a key was ever bound to the user (a user known by its key is declared). */
  userHasKey(userId: string): boolean {
    return this.sql.first(`SELECT 1 AS one FROM keys WHERE user_id = ? LIMIT 1`, userId) !== undefined;
  }
}

/** The v9 migration's statements. */
export const REALLOCATIONS_SCHEMA: readonly Step[] = [
  `CREATE TABLE IF NOT EXISTS reallocations (
     id TEXT PRIMARY KEY,
     from_scope TEXT NOT NULL,
     to_scope TEXT NOT NULL,
     amount INTEGER NOT NULL,
     reason TEXT NOT NULL,
     month TEXT NOT NULL,
     state TEXT NOT NULL,
     requested_by TEXT NOT NULL,
     requested_at INTEGER NOT NULL,
     decided_by TEXT,
     decided_at INTEGER,
     decision_reason TEXT,
     applied TEXT)`,
  `CREATE INDEX IF NOT EXISTS reallocations_state ON reallocations (state, requested_at)`,
  `CREATE TABLE IF NOT EXISTS limit_adjustments (
     scope TEXT NOT NULL,
     month TEXT NOT NULL,
     delta INTEGER NOT NULL,
     PRIMARY KEY (scope, month)) WITHOUT ROWID`,
];
