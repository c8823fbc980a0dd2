/**
 * The TenantLedger's SQLite schema. Each migration runs once, in order, and
 * the applied version is stored in `meta`, so a restarted or upgraded object
 * re-runs only what it has not seen. Every statement is idempotent on its own
 * too (IF NOT EXISTS), so a migration interrupted half-way can run again.
 */

import { ALLOWANCES_SCHEMA } from "./storage/allowances";
import { FOLD_REQUESTS, ROLLUPS_SCHEMA } from "./storage/rollups";

export type { SqlExec } from "./storage/migration-steps";
import { addColumn, type SqlExec, type Step } from "./storage/migration-steps";
import { BURSTS_SCHEMA } from "./storage/bursts";
import { REALLOCATIONS_SCHEMA } from "./storage/reallocations";
import { COMMITMENT_SCHEMA } from "./storage/commitments";
import { APP_LAYER_SCHEMA } from "./storage/app-layer";

/** Ordered migrations; index + 1 is the schema version they bring. */
export const MIGRATIONS: readonly Step[][] = [
  [
    `CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`,
    `CREATE TABLE IF NOT EXISTS tenant (
       id INTEGER PRIMARY KEY CHECK (id = 1),
       tenant_id TEXT NOT NULL,
       config TEXT NOT NULL,
       created_at INTEGER NOT NULL,
       updated_at INTEGER NOT NULL)`,
    `CREATE TABLE IF NOT EXISTS keys (
       id TEXT PRIMARY KEY,
       hash TEXT NOT NULL UNIQUE,
       name TEXT NOT NULL,
       role TEXT NOT NULL,
       user_id TEXT,
       feature TEXT,
       created_at INTEGER NOT NULL,
       expires_at INTEGER,
       revoked_at INTEGER)`,
    `CREATE TABLE IF NOT EXISTS users (user_id TEXT PRIMARY KEY, config TEXT NOT NULL, updated_at INTEGER NOT NULL)`,
    `CREATE TABLE IF NOT EXISTS features (feature TEXT PRIMARY KEY, config TEXT NOT NULL, updated_at INTEGER NOT NULL)`,
    // One row per scope and window; a new window is a new row, so nothing resets at midnight.
    `CREATE TABLE IF NOT EXISTS counters (
       scope TEXT NOT NULL,
       win TEXT NOT NULL,
       spent INTEGER NOT NULL DEFAULT 0,
       reserved INTEGER NOT NULL DEFAULT 0,
       requests INTEGER NOT NULL DEFAULT 0,
       PRIMARY KEY (scope, win)) WITHOUT ROWID`,
    `CREATE TABLE IF NOT EXISTS reservations (
       id TEXT PRIMARY KEY,
       user_id TEXT NOT NULL,
       feature TEXT NOT NULL,
       model TEXT NOT NULL,
       amount INTEGER NOT NULL,
       counters TEXT NOT NULL,
       rates TEXT NOT NULL,
       created_at INTEGER NOT NULL,
       expires_at INTEGER NOT NULL,
       state TEXT NOT NULL,
       cost INTEGER,
       closed_at INTEGER)`,
    `CREATE INDEX IF NOT EXISTS reservations_open ON reservations (state, expires_at)`,
    // Per-request detail for reports and chargeback, pruned by the cron after the retention period.
    `CREATE TABLE IF NOT EXISTS requests (
       id TEXT PRIMARY KEY,
       ts INTEGER NOT NULL,
       day TEXT NOT NULL,
       month TEXT NOT NULL,
       user_id TEXT NOT NULL,
       feature TEXT NOT NULL,
       model TEXT NOT NULL,
       input_tokens INTEGER NOT NULL,
       cached_tokens INTEGER NOT NULL,
       cache_write_tokens INTEGER NOT NULL,
       output_tokens INTEGER NOT NULL,
       cost INTEGER NOT NULL,
       outcome TEXT NOT NULL)`,
    `CREATE INDEX IF NOT EXISTS requests_day ON requests (day)`,
    `CREATE INDEX IF NOT EXISTS requests_month ON requests (month)`,
    `CREATE INDEX IF NOT EXISTS requests_model ON requests (model, ts)`,
    // Alert outbox: one row per (scope, window, kind, threshold), delivered by the alerts module.
    `CREATE TABLE IF NOT EXISTS alerts (
       id TEXT PRIMARY KEY,
       scope TEXT NOT NULL,
       win TEXT NOT NULL,
       kind TEXT NOT NULL,
       threshold REAL NOT NULL,
       payload TEXT NOT NULL,
       created_at INTEGER NOT NULL,
       state TEXT NOT NULL,
       attempts INTEGER NOT NULL DEFAULT 0,
       next_attempt_at INTEGER,
       last_error TEXT,
       delivered_at INTEGER,
       UNIQUE (scope, win, kind, threshold))`,
    // The one free "you have reached your limit" message per user and window.
    `CREATE TABLE IF NOT EXISTS final_notices (user_id TEXT NOT NULL, win TEXT NOT NULL, at INTEGER NOT NULL, PRIMARY KEY (user_id, win)) WITHOUT ROWID`,
  ],
  // v2: the audit log of admin changes (who, what, before and after, when).
  [
    `CREATE TABLE IF NOT EXISTS audit (
       id INTEGER PRIMARY KEY AUTOINCREMENT,
       at INTEGER NOT NULL,
       actor TEXT NOT NULL,
       action TEXT NOT NULL,
       target TEXT NOT NULL,
       before TEXT,
       after TEXT)`,
  ],
  // v3: closed windows' history, hourly spend for spike detection, per-destination alert delivery, freeze.
  [
    `CREATE TABLE IF NOT EXISTS history (
       scope TEXT NOT NULL,
       win TEXT NOT NULL,
       spent INTEGER NOT NULL,
       requests INTEGER NOT NULL,
       closed_at INTEGER NOT NULL,
       PRIMARY KEY (scope, win)) WITHOUT ROWID`,
    `CREATE TABLE IF NOT EXISTS hourly (hour INTEGER PRIMARY KEY, spent INTEGER NOT NULL)`,
    `CREATE TABLE IF NOT EXISTS deliveries (
       alert_id TEXT NOT NULL,
       dest TEXT NOT NULL,
       url TEXT NOT NULL,
       state TEXT NOT NULL,
       attempts INTEGER NOT NULL DEFAULT 0,
       next_attempt_at INTEGER,
       last_error TEXT,
       delivered_at INTEGER,
       PRIMARY KEY (alert_id, dest))`,
    `CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (state, next_attempt_at)`,
    `CREATE INDEX IF NOT EXISTS alerts_state ON alerts (state)`,
    addColumn("tenant", "webhook_secret", "TEXT"),
    addColumn("tenant", "frozen_at", "INTEGER"),
    addColumn("tenant", "frozen_reason", "TEXT"),
  ],
  // v4: answers kept for Idempotency-Key retries (non-streaming, up to 512 KiB, a week).
  [
    `CREATE TABLE IF NOT EXISTS replays (id TEXT PRIMARY KEY, status INTEGER NOT NULL, content_type TEXT NOT NULL, body TEXT NOT NULL, at INTEGER NOT NULL)`,
  ],
  // v5: cost ceilings — Idempotency-Key scoping, stored context totals, background jobs polled to their end.
  [
    addColumn("reservations", "fingerprint", "TEXT"),
    `CREATE TABLE IF NOT EXISTS contexts (
       id TEXT PRIMARY KEY,
       kind TEXT NOT NULL,
       tokens INTEGER NOT NULL,
       created_at INTEGER NOT NULL,
       updated_at INTEGER NOT NULL)`,
    `CREATE INDEX IF NOT EXISTS contexts_updated ON contexts (updated_at)`,
    `CREATE TABLE IF NOT EXISTS background_jobs (
       reservation_id TEXT PRIMARY KEY,
       response_id TEXT NOT NULL,
       provider TEXT NOT NULL,
       started_at INTEGER NOT NULL,
       next_poll_at INTEGER NOT NULL,
       attempts INTEGER NOT NULL DEFAULT 0,
       deadline_at INTEGER NOT NULL)`,
    `CREATE INDEX IF NOT EXISTS background_jobs_due ON background_jobs (next_poll_at)`,
    // The conversation a background response adds to, for its settlement once polled.
    addColumn("background_jobs", "conversation_id", "TEXT"),
    // The billing headers (organisation, project) the call went with: the job is only readable back under them.
    addColumn("background_jobs", "headers", "TEXT"),
    // Stored context each open reservation counted at reserve, so its settlement grows the totals by the new tokens only.
    `CREATE TABLE IF NOT EXISTS context_uses (reservation_id TEXT PRIMARY KEY, tokens INTEGER NOT NULL, at INTEGER NOT NULL)`,
    // Output ceilings: the cap the guard chose for an uncapped call (null when the client capped it) and the
    // call's choices, so only guard-capped completions teach the learned estimate (tiny client caps cannot lower it).
    addColumn("reservations", "output_cap", "INTEGER"),
    addColumn("reservations", "choices", "INTEGER"),
    // The per-choice completion a settled call taught the learned estimate, or null when it taught nothing.
    addColumn("requests", "output_sample", "INTEGER"),
  ],
  // v6: per-request detail becomes hourly rollups (user × feature × model) and per-model output samples;
  // the old `requests` table is folded into them and dropped (src/ledger/storage/rollups.ts).
  [
    ...ROLLUPS_SCHEMA,
    (sql) => {
      if (sql.exec(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'requests'`).toArray().length === 0) return;
      for (const statement of FOLD_REQUESTS) sql.exec(statement);
    },
  ],
  // v7: edge allowances, one row per hold an isolate has (src/ledger/storage/allowances.ts).
  [...ALLOWANCES_SCHEMA],
  // v8: burst pools and their draws (src/ledger/storage/bursts.ts).
  [...BURSTS_SCHEMA],
  // v9: reallocation requests and monthly limit adjustments (src/ledger/storage/reallocations.ts).
  [...REALLOCATIONS_SCHEMA],
  // v10: committed-use discounts: list cost kept beside the net cost (src/ledger/storage/commitments.ts).
  [...COMMITMENT_SCHEMA],
  // v11: the application layer's reservations and recorded usage (src/ledger/storage/app-layer.ts). Later migrations go after this one.
  [...APP_LAYER_SCHEMA],
];

/** The version this code expects. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/** Applies every migration newer than the stored version, each in order. */
export function migrate(sql: SqlExec): number {
  sql.exec(`CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`);
  const row = sql.exec(`SELECT value FROM meta WHERE key = 'schema_version'`).toArray()[0];
  let version = row ? Number(row.value) : 0;
  while (version < MIGRATIONS.length) {
    for (const step of MIGRATIONS[version] ?? []) {
      if (typeof step === "string") sql.exec(step);
      else step(sql);
    }
    version += 1;
    sql.exec(
      `INSERT INTO meta (key, value) VALUES ('schema_version', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
      String(version),
    );
  }
  return version;
}

/** Whether the object's storage has the schema (it held a tenant once). */
export function hasSchema(sql: SqlExec): boolean {
  return sql.exec(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'`).toArray().length > 0;
}
