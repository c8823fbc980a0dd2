/**
 * Storage of settled usage for reports and detection: `hourly` (tenant spend
 * per hour, for spike detection) and `requests` (per-request detail: the
 * usage report by model, and the learned output samples).
 */
import type { Sql } from "./sql";

/** One settled call, as the reports keep it. */
export interface RequestDetail {
  id: string;
  ts: number;
  day: string;
  month: string;
  userId: string;
  feature: string;
  model: string;
  inputTokens: number;
  cachedTokens: number;
  cacheWriteTokens: number;
  outputTokens: number;
  cost: number;
  outcome: string;
  /** Per-choice completion the call taught the learned estimate, or null. */
  outputSample: number | null;
}

/** The `hourly` and `requests` tables. */
export class UsageStore {
  constructor(private readonly sql: Sql) {}

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

  /** Records one settled call (once per id). */
  record(d: RequestDetail): void {
    this.sql.run(
      `INSERT INTO requests (id, ts, day, month, user_id, feature, model, input_tokens, cached_tokens, cache_write_tokens, output_tokens, cost, outcome, output_sample)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
      d.id,
      d.ts,
      d.day,
      d.month,
      d.userId,
      d.feature,
      d.model,
      d.inputTokens,
      d.cachedTokens,
      d.cacheWriteTokens,
      d.outputTokens,
      d.cost,
      d.outcome,
      d.outputSample,
    );
  }

  /** Settled spend per model in a day or month. */
  spendByModel(period: "day" | "month", at: string): { model: string; spent: number; requests: number }[] {
    return this.sql.all(
      `SELECT model, SUM(cost) AS spent, COUNT(*) AS requests FROM requests WHERE ${period === "day" ? "day" : "month"} = ? GROUP BY model`,
      `${period}:${at}`,
    );
  }

  /** The latest per-choice completions that taught the learned estimate (guard-capped calls only). */
  recentOutputTokens(model: string, limit: number): number[] {
    return this.sql
      .all<{ output_sample: number }>(
        `SELECT output_sample FROM requests WHERE model = ? AND output_sample IS NOT NULL ORDER BY ts DESC LIMIT ?`,
        model,
        limit,
      )
      .map((r) => r.output_sample);
  }

  /** Deletes detail before `detailCutoff` and hours before `hourlyCutoff`; returns rows removed. */
  prune(detailCutoff: number, hourlyCutoff: number): number {
    return (
      this.sql.run(`DELETE FROM requests WHERE ts < ?`, detailCutoff) + this.sql.run(`DELETE FROM hourly WHERE hour < ?`, hourlyCutoff)
    );
  }
}
