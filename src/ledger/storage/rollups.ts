/**
 * Storage of settled usage for reports and detection (issue 13 item 4):
 * per-request detail goes to the request log, not here. What is kept:
 *
 * - `rollups`: one row per UTC hour × local day × user × feature × model,
 *   summing requests, tokens and cost. The usage report by model reads it; a
 *   settle is one upsert, and a batch of many records (allowances) is one
 *   upsert per distinct row ({@link rollupBatch}).
 * - `hourly`: the tenant's spend per hour, for spike detection.
 * - `output_samples`: per model, the learned output estimate's recent samples
 *   (JSON, newest first), rewritten when a settle teaches it.
 *
 * No secondary index: the report reads a day or month as a primary-key range
 * of hours (local days are at most 14 hours off UTC), so a write touches one
 * b-tree entry per row.
 */
import { hourOf } from "../../alerts/detect";
import type { Binding, Sql } from "./sql";

/** One settled call (or several of the same subject and model), as the rollups sum it. */
export interface RollupRecord {
  /** When it settled (epoch ms); the UTC hour of this is the row. */
  at: number;
  /** Counter window keys of the tenant's time zone: `day:YYYY-MM-DD`, `month:YYYY-MM`. */
  day: string;
  month: string;
  userId: string;
  feature: string;
  model: string;
  inputTokens: number;
  cachedTokens: number;
  cacheWriteTokens: number;
  outputTokens: number;
  /** Micro-USD (net of a committed-use discount). */
  cost: number;
  /** Micro-USD at the list price (default `cost`: no discount). */
  listCost?: number;
  /** Requests this record stands for (default 1). */
  requests?: number;
}

const HOUR = 3_600_000;
/** Local time is at most 14 hours ahead of UTC (Kiribati) and 12 behind: the margin around a UTC day. */
const TZ_MARGIN = 14 * HOUR;
/** Durable Object SQL binds at most 100 parameters per statement: 7 rows of 13. */
const ROWS_PER_STATEMENT = 7;
/** The columns of the v6 fold (before `list_cost`, which v10 adds). */
const COLUMNS =
  "(hour, day, month, user_id, feature, model, requests, input_tokens, cached_tokens, cache_write_tokens, output_tokens, cost)";
/** What a settle writes; `list_cost` is null on rows from before v10, read as `cost` (storage/commitments.ts). */
const WRITE_COLUMNS =
  "(hour, day, month, user_id, feature, model, requests, input_tokens, cached_tokens, cache_write_tokens, output_tokens, cost, list_cost)";

/**
 * Adds records to their hourly rollup rows: records of the same hour, day,
 * user, feature and model are summed first, so a batch writes one row per
 * distinct key (a statement per 8 of them). Returns the rows written.
 */
export function rollupBatch(sql: Sql, records: readonly RollupRecord[]): number {
  const rows = new Map<string, Binding[]>();
  for (const r of records) {
    const hour = hourOf(r.at);
    const key = [hour, r.day, r.userId, r.feature, r.model].join("\u0000");
    const n = r.requests ?? 1;
    const row = rows.get(key);
    const add = [n, r.inputTokens, r.cachedTokens, r.cacheWriteTokens, r.outputTokens, r.cost, r.listCost ?? r.cost];
    if (row) add.forEach((v, i) => (row[6 + i] = Number(row[6 + i]) + v));
    else rows.set(key, [hour, r.day, r.month, r.userId, r.feature, r.model, ...add]);
  }
  const all = [...rows.values()];
  let written = 0;
  for (let i = 0; i < all.length; i += ROWS_PER_STATEMENT) {
    const chunk = all.slice(i, i + ROWS_PER_STATEMENT);
    written += sql.run(
      `INSERT INTO rollups ${WRITE_COLUMNS} VALUES ${chunk.map(() => "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)").join(", ")}
       ON CONFLICT (hour, day, user_id, feature, model) DO UPDATE SET
         requests = requests + excluded.requests, input_tokens = input_tokens + excluded.input_tokens,
         cached_tokens = cached_tokens + excluded.cached_tokens, cache_write_tokens = cache_write_tokens + excluded.cache_write_tokens,
         output_tokens = output_tokens + excluded.output_tokens, cost = cost + excluded.cost,
         list_cost = COALESCE(list_cost, cost) + excluded.list_cost`,
      ...chunk.flat(),
    );
  }
  return written;
}

/** UTC hours that can hold a local day (`YYYY-MM-DD`) or month (`YYYY-MM`), with the time-zone margin. */
export function hoursOf(period: "day" | "month", at: string): [number, number] {
  const [y = 1970, m = 1, d = 1] = at.split("-").map(Number);
  const start = Date.UTC(y, m - 1, period === "day" ? d : 1);
  const end = period === "day" ? start + 24 * HOUR : Date.UTC(y, m, 1);
  return [start - TZ_MARGIN, end + TZ_MARGIN];
}

/** The `rollups`, `hourly` and `output_samples` tables. */
export class UsageStore {
  constructor(private readonly sql: Sql) {}

  /** Adds one settled call to its rollup row. */
  rollup(r: RollupRecord): void {
    rollupBatch(this.sql, [r]);
  }

  /** Adds settled spend to its hour, for spike detection. */
  bumpHour(hour: number, spent: number): void {
    this.sql.run(
      `INSERT INTO hourly (hour, spent) VALUES (?, ?) ON CONFLICT (hour) DO UPDATE SET spent = spent + excluded.spent`,
      hour,
      spent,
    );
  }

  /** Hourly spend since `from`. */
  hours(from: number): Map<number, number> {
    return new Map(
      this.sql.all<{ hour: number; spent: number }>(`SELECT hour, spent FROM hourly WHERE hour >= ?`, from).map((r) => [r.hour, r.spent]),
    );
  }

  /** Settled spend and requests per model in a local day or month. */
  spendByModel(period: "day" | "month", at: string): { model: string; spent: number; requests: number }[] {
    const [from, to] = hoursOf(period, at);
    return this.sql.all(
      `SELECT model, SUM(cost) AS spent, SUM(requests) AS requests FROM rollups
       WHERE hour >= ? AND hour < ? AND ${period === "day" ? "day" : "month"} = ? GROUP BY model`,
      from,
      to,
      `${period}:${at}`,
    );
  }

  /** The model's learned output samples, newest first (empty before any). */
  outputSamples(model: string): number[] {
    const r = this.sql.first<{ samples: string }>(`SELECT samples FROM output_samples WHERE model = ?`, model);
    return r ? (JSON.parse(r.samples) as number[]) : [];
  }

  /** Replaces the model's samples (one row written). */
  saveOutputSamples(model: string, samples: readonly number[]): void {
    this.sql.run(
      `INSERT INTO output_samples (model, samples) VALUES (?, ?) ON CONFLICT (model) DO UPDATE SET samples = excluded.samples`,
      model,
      JSON.stringify(samples),
    );
  }

  /** Deletes rollups before `detailCutoff` and hours before `hourlyCutoff`; returns rows removed. */
  prune(detailCutoff: number, hourlyCutoff: number): number {
    return (
      this.sql.run(`DELETE FROM rollups WHERE hour < ?`, hourOf(detailCutoff)) +
      this.sql.run(`DELETE FROM hourly WHERE hour < ?`, hourlyCutoff)
    );
  }
}

/**
 * Migration v6: the rollups and output samples tables, the old per-request
 * detail folded into them (sums per hour, the latest 200 samples per model),
 * then the `requests` table dropped. One function step, so it runs in the
 * constructor's single implicit transaction: all of it or none.
 */
export const ROLLUPS_SCHEMA: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS rollups (
     hour INTEGER NOT NULL,
     day TEXT NOT NULL,
     month TEXT NOT NULL,
     user_id TEXT NOT NULL,
     feature TEXT NOT NULL,
     model TEXT NOT NULL,
     requests INTEGER NOT NULL DEFAULT 0,
     input_tokens INTEGER NOT NULL DEFAULT 0,
     cached_tokens INTEGER NOT NULL DEFAULT 0,
     cache_write_tokens INTEGER NOT NULL DEFAULT 0,
     output_tokens INTEGER NOT NULL DEFAULT 0,
     cost INTEGER NOT NULL DEFAULT 0,
     PRIMARY KEY (hour, day, user_id, feature, model)) WITHOUT ROWID`,
  `CREATE TABLE IF NOT EXISTS output_samples (model TEXT PRIMARY KEY, samples TEXT NOT NULL) WITHOUT ROWID`,
];

/** The fold of the old `requests` table (present only in objects made before v6). */
export const FOLD_REQUESTS: readonly string[] = [
  `INSERT INTO rollups ${COLUMNS}
     SELECT (ts / ${HOUR}) * ${HOUR}, day, month, user_id, feature, model, COUNT(*), SUM(input_tokens), SUM(cached_tokens),
            SUM(cache_write_tokens), SUM(output_tokens), SUM(cost)
     FROM requests GROUP BY 1, day, user_id, feature, model
   ON CONFLICT (hour, day, user_id, feature, model) DO UPDATE SET
     requests = requests + excluded.requests, input_tokens = input_tokens + excluded.input_tokens,
     cached_tokens = cached_tokens + excluded.cached_tokens, cache_write_tokens = cache_write_tokens + excluded.cache_write_tokens,
     output_tokens = output_tokens + excluded.output_tokens, cost = cost + excluded.cost`,
  `INSERT OR REPLACE INTO output_samples (model, samples)
     SELECT model, json_group_array(output_sample) FROM (
       SELECT model, output_sample, ROW_NUMBER() OVER (PARTITION BY model ORDER BY ts DESC) AS n
       FROM requests WHERE output_sample IS NOT NULL ORDER BY model, ts DESC)
     WHERE n <= 200 GROUP BY model`,
  `DROP TABLE requests`,
];
