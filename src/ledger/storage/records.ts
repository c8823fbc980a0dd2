/**
 * Storage of the tenant's records beside its budget: the alert outbox
 * (`alerts`, one `deliveries` row per destination), the `audit` log, the
 * answers kept for Idempotency-Key retries (`replays`) and the one free
 * final message per user and window (`final_notices`).
 */
import type { Sql } from "./sql";

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

/** A delivery row as listed. */
export interface DeliveryRow {
  dest: string;
  state: string;
  attempts: number;
  last_error: string | null;
  delivered_at: number | null;
  next_attempt_at: number | null;
}

/** A delivery due now, with its alert's payload. */
export interface DueDelivery {
  alertId: string;
  dest: "tenant" | "operator";
  url: string;
  attempts: number;
  payload: string;
}

/** The `alerts`, `deliveries`, `audit`, `replays` and `final_notices` tables. */
export class RecordStore {
  constructor(private readonly sql: Sql) {}

  replay(id: string): { status: number; contentType: string; body: string } | undefined {
    const r = this.sql.first<{ status: number; content_type: string; body: string }>(
      `SELECT status, content_type, body FROM replays WHERE id = ?`,
      id,
    );
    return r ? { status: r.status, contentType: r.content_type, body: r.body } : undefined;
  }

  saveReplay(id: string, r: { status: number; contentType: string; body: string }, now: number): void {
    this.sql.run(
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
    const rows = this.sql.all<{ id: string }>(
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

  /** Alerts queued but not yet planned for delivery. */
  pendingAlertIds(): string[] {
    return this.sql.all<{ id: string }>(`SELECT id FROM alerts WHERE state = 'pending'`).map((r) => r.id);
  }

  addDelivery(alertId: string, dest: string, url: string, now: number): void {
    this.sql.run(
      `INSERT INTO deliveries (alert_id, dest, url, state, attempts, next_attempt_at) VALUES (?, ?, ?, 'pending', 0, ?) ON CONFLICT DO NOTHING`,
      alertId,
      dest,
      url,
      now,
    );
  }

  setAlertState(alertId: string, state: string): void {
    this.sql.run(`UPDATE alerts SET state = ? WHERE id = ?`, state, alertId);
  }

  /** Deliveries whose next attempt is due, soonest first. */
  dueDeliveries(now: number, limit: number): DueDelivery[] {
    return this.sql.all<DueDelivery>(
      `SELECT d.alert_id AS alertId, d.dest AS dest, d.url AS url, d.attempts AS attempts, a.payload AS payload
       FROM deliveries d JOIN alerts a ON a.id = d.alert_id
       WHERE d.state = 'pending' AND d.next_attempt_at <= ? ORDER BY d.next_attempt_at LIMIT ?`,
      now,
      limit,
    );
  }

  /** When the next delivery attempt is due, if any. */
  nextDeliveryAt(): number | null {
    return this.sql.first<{ t: number | null }>(`SELECT MIN(next_attempt_at) AS t FROM deliveries WHERE state = 'pending'`)?.t ?? null;
  }

  markDelivered(alertId: string, dest: string, attempts: number, now: number): void {
    this.sql.run(
      `UPDATE deliveries SET state = 'delivered', attempts = ?, delivered_at = ?, last_error = NULL WHERE alert_id = ? AND dest = ?`,
      attempts,
      now,
      alertId,
      dest,
    );
  }

  /** A failed attempt: retried at `nextAttemptAt`, or failed for good when that is null. */
  markFailed(alertId: string, dest: string, attempts: number, nextAttemptAt: number | null, error: string): void {
    this.sql.run(
      `UPDATE deliveries SET state = ?, attempts = ?, next_attempt_at = ?, last_error = ? WHERE alert_id = ? AND dest = ?`,
      nextAttemptAt === null ? "failed" : "pending",
      attempts,
      nextAttemptAt,
      error,
      alertId,
      dest,
    );
  }

  /** An alert's deliveries, one per destination. */
  deliveries(alertId: string): DeliveryRow[] {
    return this.sql.all<DeliveryRow>(
      `SELECT dest, state, attempts, last_error, delivered_at, next_attempt_at FROM deliveries WHERE alert_id = ? ORDER BY dest`,
      alertId,
    );
  }

  /** Records an attempt on the alert itself, with the state rolled up from its deliveries. */
  rollUpAlert(alertId: string, state: string, error: string | null, deliveredAt: number | null): void {
    this.sql.run(
      `UPDATE alerts SET state = ?, attempts = attempts + 1, last_error = ?, delivered_at = ? WHERE id = ?`,
      state,
      error,
      deliveredAt,
      alertId,
    );
  }

  alerts(limit: number): AlertRow[] {
    return this.sql.all<AlertRow>(`SELECT * FROM alerts ORDER BY created_at DESC, id LIMIT ?`, limit);
  }

  /** Records the free final message for a user and window; true only the first time. */
  claimFinalNotice(userId: string, win: string, now: number): boolean {
    return (
      this.sql.all<{ user_id: string }>(
        `INSERT INTO final_notices (user_id, win, at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING RETURNING user_id`,
        userId,
        win,
        now,
      ).length > 0
    );
  }

  /** Appends to the audit log. */
  audit(e: { at: number; actor: string; action: string; target: string; before: unknown; after: unknown }): void {
    this.sql.run(
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
    return this.sql.all<AuditRow>(`SELECT * FROM audit WHERE id < ? ORDER BY id DESC LIMIT ?`, beforeId ?? Number.MAX_SAFE_INTEGER, limit);
  }

  /**
   * Deletes records past retention: replays after `replayCutoff` (they only
   * need to outlive client retries), final notices and finished alerts with
   * their deliveries after `detailCutoff`. Returns rows removed.
   */
  prune(detailCutoff: number, replayCutoff: number): number {
    let n = this.sql.run(`DELETE FROM replays WHERE at < ?`, replayCutoff);
    n += this.sql.run(`DELETE FROM final_notices WHERE at < ?`, detailCutoff);
    n += this.sql.run(
      `DELETE FROM deliveries WHERE alert_id IN (SELECT id FROM alerts WHERE created_at < ? AND state IN ('delivered', 'failed', 'no_destination'))`,
      detailCutoff,
    );
    n += this.sql.run(`DELETE FROM alerts WHERE created_at < ? AND state IN ('delivered', 'failed', 'no_destination')`, detailCutoff);
    return n;
  }
}
