/**
 * Storage of background responses polled to their end (DESIGN "Asynchronous
 * work is metered"): the `background_jobs` table, one row per open
 * reservation the alarm polls.
 */
import type { Sql } from "./sql";

/** Jobs polled per alarm pass; the rest wait for the next one, due at once. */
const POLL_BATCH = 20;

/** A job row as stored. */
export interface BackgroundJob {
  reservation_id: string;
  response_id: string;
  provider: string;
  started_at: number;
  next_poll_at: number;
  attempts: number;
  deadline_at: number;
  conversation_id: string | null;
  /** JSON of {@link TrackBackgroundRequest.headers}, or null. */
  headers: string | null;
}

/** The tenant's background jobs. Synchronous: it runs inside the ledger's transactions. */
export class BackgroundStore {
  constructor(private readonly sql: Sql) {}

  insert(job: BackgroundJob): void {
    this.sql.run(
      `INSERT INTO background_jobs (reservation_id, response_id, provider, started_at, next_poll_at, attempts, deadline_at, conversation_id, headers)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (reservation_id) DO NOTHING`,
      job.reservation_id,
      job.response_id,
      job.provider,
      job.started_at,
      job.next_poll_at,
      job.attempts,
      job.deadline_at,
      job.conversation_id,
      job.headers,
    );
  }

  /** Jobs whose poll (or deadline) is due, soonest first. */
  due(now: number, limit = POLL_BATCH): BackgroundJob[] {
    return this.sql.all<BackgroundJob>(
      `SELECT * FROM background_jobs WHERE next_poll_at <= ? OR deadline_at <= ? ORDER BY next_poll_at LIMIT ?`,
      now,
      now,
      limit,
    );
  }

  reschedule(reservationId: string, nextPollAt: number, attempts: number): void {
    this.sql.run(`UPDATE background_jobs SET next_poll_at = ?, attempts = ? WHERE reservation_id = ?`, nextPollAt, attempts, reservationId);
  }

  remove(reservationId: string): void {
    this.sql.run(`DELETE FROM background_jobs WHERE reservation_id = ?`, reservationId);
  }

  /** When the alarm must next wake for a job, or null. */
  nextPollAt(): number | null {
    const r = this.sql.first<{ t: number | null }>(`SELECT MIN(MIN(next_poll_at, deadline_at)) AS t FROM background_jobs`);
    return typeof r?.t === "number" ? r.t : null;
  }
}
