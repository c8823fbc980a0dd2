/**
 * The `allowances` table (schema v7): one row per allowance an isolate holds
 * or held. A row is the truth about a hold, so an object restart loses
 * nothing: the alarm finds every open row again and counts an unreturned one
 * as spent at its expiry.
 */
import type { Sql } from "./sql";

/** An allowance row as stored. */
export interface AllowanceRow {
  id: string;
  /** The key that acquired it: every flush must come with the same one (and is re-authenticated). */
  key_hash: string;
  user_id: string;
  feature: string;
  /** JSON `[scope, win][]`: the counter rows the hold sits in. */
  counters: string;
  /** Micro-USD currently held in every counter. */
  hold: number;
  /**
   * The hold the isolate was last told it has. A renewal's answer travels while the isolate keeps
   * deciding under the old grant, so the object keeps at least (old grant − the batch) held until the
   * isolate's next batch says what it actually has in flight.
   */
  granted: number;
  /** The latest batch applied (`FlushRequest.seq`). */
  seq: number;
  /** Micro-USD settled through it so far. */
  settled: number;
  /** After expiry: the hold counted as spent, which late records consume before adding spend. */
  credit: number;
  created_at: number;
  expires_at: number;
  /** `open` (holding), `returned` (given back), `expired` (counted as spent at expiry). */
  state: "open" | "returned" | "expired";
}

/** Statements for the allowances table. */
export class AllowanceStore {
  constructor(private readonly sql: Sql) {}

  insert(r: AllowanceRow): void {
    this.sql.run(
      `INSERT INTO allowances (id, key_hash, user_id, feature, counters, hold, granted, seq, settled, credit, created_at, expires_at, state)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      r.id,
      r.key_hash,
      r.user_id,
      r.feature,
      r.counters,
      r.hold,
      r.granted,
      r.seq,
      r.settled,
      r.credit,
      r.created_at,
      r.expires_at,
      r.state,
    );
  }

  get(id: string): AllowanceRow | undefined {
    return this.sql.first<AllowanceRow>(`SELECT * FROM allowances WHERE id = ?`, id);
  }

  /** Writes a row's moving parts back (one row written). */
  update(r: Pick<AllowanceRow, "id" | "counters" | "hold" | "granted" | "seq" | "settled" | "credit" | "expires_at" | "state">): void {
    this.sql.run(
      `UPDATE allowances SET counters = ?, hold = ?, granted = ?, seq = ?, settled = ?, credit = ?, expires_at = ?, state = ? WHERE id = ?`,
      r.counters,
      r.hold,
      r.granted,
      r.seq,
      r.settled,
      r.credit,
      r.expires_at,
      r.state,
      r.id,
    );
  }

  /** Open allowances of the tenant: the `holders` of the fair share. */
  openCount(): number {
    return this.sql.first<{ n: number }>(`SELECT COUNT(*) AS n FROM allowances WHERE state = 'open'`)?.n ?? 0;
  }

  /** Open rows whose expiry (plus grace) has passed. */
  lapsed(before: number, limit: number): AllowanceRow[] {
    return this.sql.all<AllowanceRow>(
      `SELECT * FROM allowances WHERE state = 'open' AND expires_at <= ? ORDER BY expires_at LIMIT ?`,
      before,
      limit,
    );
  }

  /** The earliest expiry of an open row, or null. */
  nextExpiry(): number | null {
    return this.sql.first<{ t: number | null }>(`SELECT MIN(expires_at) AS t FROM allowances WHERE state = 'open'`)?.t ?? null;
  }

  /** Closed rows older than `before` go (their late records, if any, have long had their chance). */
  prune(before: number): void {
    this.sql.run(`DELETE FROM allowances WHERE state != 'open' AND expires_at < ? AND created_at < ?`, before, before);
  }
}

/** The v7 migration's statements. */
export const ALLOWANCES_SCHEMA: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS allowances (
     id TEXT PRIMARY KEY,
     key_hash TEXT NOT NULL,
     user_id TEXT NOT NULL,
     feature TEXT NOT NULL,
     counters TEXT NOT NULL,
     hold INTEGER NOT NULL,
     granted INTEGER NOT NULL,
     seq INTEGER NOT NULL DEFAULT 0,
     settled INTEGER NOT NULL DEFAULT 0,
     credit INTEGER NOT NULL DEFAULT 0,
     created_at INTEGER NOT NULL,
     expires_at INTEGER NOT NULL,
     state TEXT NOT NULL)`,
  `CREATE INDEX IF NOT EXISTS allowances_open ON allowances (state, expires_at)`,
];
