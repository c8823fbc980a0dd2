/**
 * The tenant object's records beside its budget: the alert outbox, the one
 * free final notice per user and window, the audit log and the answers kept
 * for Idempotency-Key retries. `LedgerStore` builds on this with the budget
 * itself (tenant, keys, settings, counters, reservations).
 */

import type { Binding, Sql } from "./storage/sql";

export type { Binding };

/** An audit log row. */
export interface AuditRow {
  id: number;
  at: number;
  actor: string;
  action: string;
  target: string;
  before: string | null;
  after: string | null;
}

/** An alert outbox row. */
export interface AlertRow {
  id: string;
  scope: string;
  win: string;
  kind: string;
  threshold: number;
  payload: string;
  created_at: number;
  state: string;
  attempts: number;
  next_attempt_at: number | null;
  last_error: string | null;
  delivered_at: number | null;
}

/** Typed SQL over the object's storage, and the records the ledger keeps. */
export class LedgerRecords {
  constructor(protected readonly sql: Sql) {}

  protected rows<T>(query: string, ...b: Binding[]): T[] {
    return this.sql.all<T>(query, ...b);
  }

  protected first<T>(query: string, ...b: Binding[]): T | undefined {
    return this.sql.first<T>(query, ...b);
  }

  /** Rows of an arbitrary query, for the ledger's other modules. */
  all<T>(query: string, ...b: Binding[]): T[] {
    return this.rows<T>(query, ...b);
  }

  run(query: string, ...b: Binding[]): number {
    return this.sql.run(query, ...b);
  }

  replay(id: string): { status: number; contentType: string; body: string } | undefined {
    const r = this.first<{ status: number; content_type: string; body: string }>(
      `SELECT status, content_type, body FROM replays WHERE id = ?`,
      id,
    );
    return r ? { status: r.status, contentType: r.content_type, body: r.body } : undefined;
  }

  saveReplay(id: string, r: { status: number; contentType: string; body: string }, now: number): void {
    this.run(
      `INSERT INTO replays (id, status, content_type, body, at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
      id,
      r.status,
      r.contentType,
      r.body,
      now,
    );
  }

  /** Queues an alert once per (scope, window, kind, threshold); returns true when it is new. */
  queueAlert(a: { id: string; scope: string; win: string; kind: string; threshold: number; payload: string; now: number }): boolean {
    const rows = this.rows<{ id: string }>(
      `INSERT INTO alerts (id, scope, win, kind, threshold, payload, created_at, state, attempts, next_attempt_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?) ON CONFLICT DO NOTHING RETURNING id`,
      a.id,
      a.scope,
      a.win,
      a.kind,
      a.threshold,
      a.payload,
      a.now,
      a.now,
    );
    return rows.length > 0;
  }

  /** Records the free final message for a user and window; true only the first time. */
  claimFinalNotice(userId: string, win: string, now: number): boolean {
    return (
      this.rows<{ user_id: string }>(
        `INSERT INTO final_notices (user_id, win, at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING RETURNING user_id`,
        userId,
        win,
        now,
      ).length > 0
    );
  }

  /** Appends to the audit log. */
  audit(e: { at: number; actor: string; action: string; target: string; before: unknown; after: unknown }): void {
    this.run(
      `INSERT INTO audit (at, actor, action, target, before, after) VALUES (?, ?, ?, ?, ?, ?)`,
      e.at,
      e.actor,
      e.action,
      e.target,
      e.before === null || e.before === undefined ? null : JSON.stringify(e.before),
      e.after === null || e.after === undefined ? null : JSON.stringify(e.after),
    );
  }

  auditLog(limit: number, beforeId: number | null): AuditRow[] {
    return this.rows<AuditRow>(`SELECT * FROM audit WHERE id < ? ORDER BY id DESC LIMIT ?`, beforeId ?? Number.MAX_SAFE_INTEGER, limit);
  }

  /** An alert's deliveries, one per destination. */
  deliveries(alertId: string): {
    dest: string;
    state: string;
    attempts: number;
    last_error: string | null;
    delivered_at: number | null;
    next_attempt_at: number | null;
  }[] {
    return this.rows(
      `SELECT dest, state, attempts, last_error, delivered_at, next_attempt_at FROM deliveries WHERE alert_id = ? ORDER BY dest`,
      alertId,
    );
  }

  alerts(limit: number): AlertRow[] {
    return this.rows<AlertRow>(`SELECT * FROM alerts ORDER BY created_at DESC, id LIMIT ?`, limit);
  }
}
