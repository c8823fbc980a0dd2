/**
 * Storage of the application layer (schema v11): `app_reservations`, one row
 * per reservation made through `POST /v1/reservations`, beside its row in
 * `reservations` (same id), which holds the money. This row holds what only
 * the application layer needs: who may commit or release it (the reserving
 * key's principal), the source and model it reports under, and the first
 * commit's answer, which a repeated commit returns.
 *
 * Recorded usage (`POST /v1/usage`) needs no table of its own: it is a
 * reservation settled at once, its Idempotency-Key is the reservation id and
 * its answer a replay, as for proxied calls.
 */
import type { Role } from "../../auth/keys";
import type { Step } from "./migration-steps";
import type { Sql } from "./sql";

/** An application-layer reservation as stored. */
export interface AppReservationRow {
  /** The id of its `reservations` row. */
  id: string;
  /** The reserving key. */
  key_id: string;
  key_role: Role;
  /** The user the reserving key is bound to (user keys), else null. */
  key_user: string | null;
  /** Where the spend comes from (`app` unless the caller names it): the usage report's model column starts with it. */
  source: string;
  /** The model an estimate was priced for; null for a reservation of an amount. */
  model: string | null;
  description: string | null;
  /** JSON object of the caller's string metadata, or null. */
  metadata: string | null;
  created_at: number;
  committed_at: number | null;
  /** JSON of the first commit's answer ({@link AppCommitAnswer} in app-types.ts). */
  commit_answer: string | null;
}

/** Rows removed per prune: pruning rides on reserves, so each does a bounded amount. */
const PRUNE_BATCH = 64;

/** The `app_reservations` table. */
export class AppLayerStore {
  constructor(private readonly sql: Sql) {}

  get(id: string): AppReservationRow | undefined {
    return this.sql.first<AppReservationRow>(`SELECT * FROM app_reservations WHERE id = ?`, id);
  }

  insert(r: Omit<AppReservationRow, "committed_at" | "commit_answer">): void {
    this.sql.run(
      `INSERT INTO app_reservations (id, key_id, key_role, key_user, source, model, description, metadata, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      r.id,
      r.key_id,
      r.key_role,
      r.key_user,
      r.source,
      r.model,
      r.description,
      r.metadata,
      r.created_at,
    );
  }

  /** Keeps the first commit's answer (a later commit returns it). */
  saveCommit(id: string, answer: string, now: number): void {
    this.sql.run(`UPDATE app_reservations SET committed_at = ?, commit_answer = ? WHERE id = ?`, now, answer, id);
  }

  /** Deletes up to a batch of rows made before `cutoff` (their reservations are pruned with the detail); returns rows removed. */
  prune(cutoff: number): number {
    return this.sql.run(
      `DELETE FROM app_reservations WHERE id IN (SELECT id FROM app_reservations WHERE created_at < ? ORDER BY created_at LIMIT ?)`,
      cutoff,
      PRUNE_BATCH,
    );
  }
}

/** This module's migration. */
export const APP_LAYER_SCHEMA: readonly Step[] = [
  `CREATE TABLE IF NOT EXISTS app_reservations (
     id TEXT PRIMARY KEY,
     key_id TEXT NOT NULL,
     key_role TEXT NOT NULL,
     key_user TEXT,
     source TEXT NOT NULL,
     model TEXT,
     description TEXT,
     metadata TEXT,
     created_at INTEGER NOT NULL,
     committed_at INTEGER,
     commit_answer TEXT)`,
  `CREATE INDEX IF NOT EXISTS app_reservations_created ON app_reservations (created_at)`,
];
