/**
 * Storage of committed-use discounts (schema v10): the hourly rollups keep
 * the list cost beside the net `cost`, written by the same upsert a settle
 * already makes (storage/rollups.ts), so a discount adds no row per request.
 * Rows from before v10 have a null `list_cost`: they were priced at list,
 * so it reads as `cost` (no backfill, no table rewrite on upgrade).
 */
import { addColumn, type Step } from "./migration-steps";
import { hoursOf } from "./rollups";
import type { Sql } from "./sql";

/** This module's migration. */
export const COMMITMENT_SCHEMA: readonly Step[] = [addColumn("rollups", "list_cost", "INTEGER")];

/** What a usage report groups by; `tenant` sums everything. */
export type SavingsGroup = "tenant" | "user" | "feature" | "model";

const GROUP_COLUMN: Record<SavingsGroup, string> = { tenant: "''", user: "user_id", feature: "feature", model: "model" };

/** Reads of list against net cost from the rollups. */
export class CommitmentStore {
  constructor(private readonly sql: Sql) {}

  /**
   * Micro-USD saved (list − net) per group in a local day or month, from the
   * rollups: what a report adds to a group's net spend to show its list price.
   */
  savings(period: "day" | "month", at: string, by: SavingsGroup): Map<string, number> {
    const [from, to] = hoursOf(period, at);
    const col = GROUP_COLUMN[by];
    const rows = this.sql.all<{ g: string; saved: number }>(
      `SELECT ${col} AS g, SUM(COALESCE(list_cost, cost) - cost) AS saved FROM rollups
       WHERE hour >= ? AND hour < ? AND ${period === "day" ? "day" : "month"} = ? GROUP BY 1`,
      from,
      to,
      `${period}:${at}`,
    );
    return new Map(rows.map((r) => [r.g, r.saved ?? 0]));
  }
}
