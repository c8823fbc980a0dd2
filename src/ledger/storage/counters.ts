/**
 * Storage of the budget counters: `counters` (live windows, spent + reserved
 * + requests per scope and window) and `history` (closed windows, moved
 * there by the close). All amounts integer micro-USD.
 */
import type { Binding, Sql } from "./sql";

/** Counter state of one scope in one window. */
export interface CounterRow {
  scope: string;
  win: string;
  spent: number;
  reserved: number;
  requests: number;
}

/** The `counters` and `history` tables. */
export class CounterStore {
  constructor(private readonly sql: Sql) {}

  /** Counters for the given scopes in the given windows, keyed `scope\0win` (missing rows are zero). */
  get(scopes: readonly string[], wins: readonly string[]): Map<string, CounterRow> {
    const out = new Map<string, CounterRow>();
    if (scopes.length === 0 || wins.length === 0) return out;
    const rows = this.sql.all<CounterRow>(
      `SELECT scope, win, spent, reserved, requests FROM counters
       WHERE scope IN (${scopes.map(() => "?").join(",")}) AND win IN (${wins.map(() => "?").join(",")})`,
      ...scopes,
      ...wins,
    );
    for (const r of rows) out.set(`${r.scope}\u0000${r.win}`, r);
    return out;
  }

  /**
   * Counter rows of one window whose scope is `scope` or starts with it (when
   * it ends in ':'), live counters and closed history together: a late
   * settlement can add to a window after its close moved it.
   */
  withHistory(scope: string, win: string): CounterRow[] {
    const [cond, b] = scope.endsWith(":") ? ["scope >= ? AND scope < ?", [scope, scope.slice(0, -1) + ";"]] : ["scope = ?", [scope]];
    return this.sql.all<CounterRow>(
      `SELECT scope, win, SUM(spent) AS spent, SUM(reserved) AS reserved, SUM(requests) AS requests FROM (
         SELECT scope, win, spent, reserved, requests FROM counters WHERE win = ? AND ${cond}
         UNION ALL
         SELECT scope, win, spent, 0 AS reserved, requests FROM history WHERE win = ? AND ${cond}
       ) GROUP BY scope, win ORDER BY scope`,
      win,
      ...b,
      win,
      ...b,
    );
  }

  /**
   * Adds the same delta to several counters in one statement: a request
   * touches 6–8 counter rows, and one multi-row upsert costs far less than
   * as many statements on the hot path.
   */
  bumpAll(keys: readonly (readonly [string, string])[], delta: { spent?: number; reserved?: number; requests?: number }): void {
    if (keys.length === 0) return;
    const b: Binding[] = [];
    for (const [scope, win] of keys) b.push(scope, win, delta.spent ?? 0, delta.reserved ?? 0, delta.requests ?? 0);
    this.sql.run(
      `INSERT INTO counters (scope, win, spent, reserved, requests) VALUES ${keys.map(() => "(?, ?, ?, ?, ?)").join(", ")}
       ON CONFLICT (scope, win) DO UPDATE SET
         spent = spent + excluded.spent, reserved = reserved + excluded.reserved, requests = requests + excluded.requests`,
      ...b,
    );
  }

  /** Counter rows of ended windows (before `today` / `thisMonth`) with nothing still reserved. */
  closed(today: string, thisMonth: string): CounterRow[] {
    return this.sql.all<CounterRow>(
      `SELECT * FROM counters WHERE reserved = 0 AND ((win LIKE 'day:%' AND win < ?) OR (win LIKE 'month:%' AND win < ?))`,
      today,
      thisMonth,
    );
  }

  /** Adds a closed counter to history and removes it from the live table. */
  moveToHistory(r: CounterRow, now: number): void {
    this.sql.run(
      `INSERT INTO history (scope, win, spent, requests, closed_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (scope, win) DO UPDATE SET spent = spent + excluded.spent, requests = requests + excluded.requests, closed_at = excluded.closed_at`,
      r.scope,
      r.win,
      r.spent,
      r.requests,
      now,
    );
    this.sql.run(`DELETE FROM counters WHERE scope = ? AND win = ?`, r.scope, r.win);
  }

  /** Deletes history older than the oldest kept day and month; returns rows removed. */
  pruneHistory(oldestDay: string, oldestMonth: string): number {
    return (
      this.sql.run(`DELETE FROM history WHERE win LIKE 'day:%' AND win < ?`, oldestDay) +
      this.sql.run(`DELETE FROM history WHERE win LIKE 'month:%' AND win < ?`, oldestMonth)
    );
  }
}
