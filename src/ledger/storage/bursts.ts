/**
 * Storage of burst pools (schema v8): `bursts`, one row per pool (who asked,
 * who approved, the amount, the per-request cap, expiry, state and when it
 * was first and last drawn), and `burst_usage`, what each pool funded per
 * local day × user × feature × model (the post-spend analysis). A pool's
 * money in flight and spent lives in the ordinary `counters` table under
 * scope `burst:<id>` (day, month and one `total` row), so a draw is one more
 * counter upsert in the reservation's transaction. The draw of a reservation
 * is kept on its row (`reservations.burst`, JSON), written only for calls
 * that drew.
 */
import { addColumn, type Step } from "./migration-steps";
import type { Sql } from "./sql";

/** This module's migration. */
export const BURSTS_SCHEMA: readonly Step[] = [
  `CREATE TABLE IF NOT EXISTS bursts (
     id TEXT PRIMARY KEY,
     scope TEXT NOT NULL,
     amount INTEGER NOT NULL,
     max_per_request INTEGER,
     reason TEXT NOT NULL,
     expires_at INTEGER NOT NULL,
     state TEXT NOT NULL,
     requested_by TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     approved_by TEXT,
     approved_at INTEGER,
     closed_by TEXT,
     closed_at INTEGER,
     first_draw_at INTEGER,
     last_draw_at INTEGER)`,
  `CREATE TABLE IF NOT EXISTS burst_usage (
     burst_id TEXT NOT NULL,
     day TEXT NOT NULL,
     user_id TEXT NOT NULL,
     feature TEXT NOT NULL,
     model TEXT NOT NULL,
     spent INTEGER NOT NULL DEFAULT 0,
     requests INTEGER NOT NULL DEFAULT 0,
     PRIMARY KEY (burst_id, day, user_id, feature, model)) WITHOUT ROWID`,
  // The pools a reservation drew from: [{id, amount, counters}], null for the (usual) call that drew none.
  addColumn("reservations", "burst", "TEXT"),
];

/** Stored states; `expired` and `exhausted` are derived when reported. */
export type StoredBurstState = "pending" | "active" | "closed";

/** A pool row as stored (money in micro-USD, instants in epoch ms). */
export interface BurstRow {
  id: string;
  scope: string;
  amount: number;
  max_per_request: number | null;
  reason: string;
  expires_at: number;
  state: StoredBurstState;
  requested_by: string;
  created_at: number;
  approved_by: string | null;
  approved_at: number | null;
  closed_by: string | null;
  closed_at: number | null;
  first_draw_at: number | null;
  last_draw_at: number | null;
}

/** Spend and requests of one group in a pool's analysis. */
export interface BurstGroupRow {
  key: string;
  spent: number;
  requests: number;
}

/** What a pool funded, grouped by one column. */
type GroupColumn = "user_id" | "feature" | "model";

/** The `bursts` and `burst_usage` tables, and the `burst` column of `reservations`. */
export class BurstStore {
  constructor(private readonly sql: Sql) {}

  insert(r: BurstRow): void {
    this.sql.run(
      `INSERT INTO bursts (id, scope, amount, max_per_request, reason, expires_at, state, requested_by, created_at, approved_by, approved_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      r.id,
      r.scope,
      r.amount,
      r.max_per_request,
      r.reason,
      r.expires_at,
      r.state,
      r.requested_by,
      r.created_at,
      r.approved_by,
      r.approved_at,
    );
  }

  get(id: string): BurstRow | undefined {
    return this.sql.first<BurstRow>(`SELECT * FROM bursts WHERE id = ?`, id);
  }

  /** Ids of every pool of a scope (a settlement that drew reads their counters). */
  idsOf(scope: string): string[] {
    return this.sql.all<{ id: string }>(`SELECT id FROM bursts WHERE scope = ?`, scope).map((r) => r.id);
  }

  /** Every pool, newest first. */
  list(limit: number): BurstRow[] {
    return this.sql.all<BurstRow>(`SELECT * FROM bursts ORDER BY created_at DESC, id LIMIT ?`, limit);
  }

  /** Pools a reserve may draw on or must credit: active ones, and any drawn since `drawnSince`. */
  live(drawnSince: number): BurstRow[] {
    return this.sql.all<BurstRow>(`SELECT * FROM bursts WHERE state = 'active' OR last_draw_at >= ?`, drawnSince);
  }

  approve(id: string, by: string, now: number): void {
    this.sql.run(`UPDATE bursts SET state = 'active', approved_by = ?, approved_at = ? WHERE id = ?`, by, now, id);
  }

  close(id: string, by: string, now: number): void {
    this.sql.run(`UPDATE bursts SET state = 'closed', closed_by = ?, closed_at = ? WHERE id = ?`, by, now, id);
  }

  /** Notes a draw; true when it is the pool's first. */
  noteDraw(id: string, now: number): boolean {
    const row = this.sql.first<{ first_draw_at: number }>(
      `UPDATE bursts SET first_draw_at = COALESCE(first_draw_at, ?), last_draw_at = ? WHERE id = ? RETURNING first_draw_at`,
      now,
      now,
      id,
    );
    return row?.first_draw_at === now;
  }

  /** Keeps a reservation's draws on its row (only calls that drew pay this write). */
  setReservationDraws(reservationId: string, draws: string): void {
    this.sql.run(`UPDATE reservations SET burst = ? WHERE id = ?`, draws, reservationId);
  }

  /** Adds what a settled call cost a pool to its analysis row. */
  addUsage(u: { burstId: string; day: string; userId: string; feature: string; model: string; spent: number }): void {
    this.sql.run(
      `INSERT INTO burst_usage (burst_id, day, user_id, feature, model, spent, requests) VALUES (?, ?, ?, ?, ?, ?, 1)
       ON CONFLICT (burst_id, day, user_id, feature, model) DO UPDATE SET spent = spent + excluded.spent, requests = requests + 1`,
      u.burstId,
      u.day,
      u.userId,
      u.feature,
      u.model,
      u.spent,
    );
  }

  /** The pool's biggest spenders by user, feature or model. */
  top(burstId: string, by: GroupColumn, limit: number): BurstGroupRow[] {
    return this.sql.all<BurstGroupRow>(
      `SELECT ${by} AS key, SUM(spent) AS spent, SUM(requests) AS requests FROM burst_usage WHERE burst_id = ?
       GROUP BY ${by} ORDER BY spent DESC, key LIMIT ?`,
      burstId,
      limit,
    );
  }

  /** Local days on which the pool funded a settled call. */
  daysActive(burstId: string): number {
    return this.sql.first<{ n: number }>(`SELECT COUNT(DISTINCT day) AS n FROM burst_usage WHERE burst_id = ?`, burstId)?.n ?? 0;
  }
}
