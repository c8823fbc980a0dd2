/**
 * Window close: counters of windows that have ended move into `history`
 * (added, then deleted from `counters`, in one transaction), and detail past
 * its retention is pruned. Only windows before the current one are touched,
 * so a request at 23:59:59.999 and the close cannot race; running it twice
 * changes nothing, and a run after a gap closes every missed window.
 */
import { dayKey, localDate, monthKey, windowsAt } from "../budget/windows";
import type { CounterRow, LedgerStore } from "./store";

/** How long detail and history are kept. */
export interface Retention {
  detailDays: number;
  historyMonths: number;
}

/** What a close did. */
export interface CloseResult {
  moved: number;
  pruned: number;
}

const DAY = 86_400_000;

/** Closes every ended window of the tenant's time zone and prunes old detail; run inside a transaction. */
export function closeWindowsTx(store: LedgerStore, now: number, timezone: string, retention: Retention): CloseResult {
  const current = windowsAt(now, timezone);
  const closed = closedCounters(store, current.daily.key, current.monthly.key);
  for (const row of closed) moveToHistory(store, row, now);

  const detailCutoff = now - retention.detailDays * DAY;
  const oldestDay = dayKey(localDate(detailCutoff, timezone));
  const today = localDate(now, timezone);
  const monthsBack = today.year * 12 + (today.month - 1) - retention.historyMonths;
  const oldestMonth = monthKey({ year: Math.floor(monthsBack / 12), month: (monthsBack % 12) + 1, day: 1 });
  const pruned = prune(store, { detailCutoff, oldestDay, oldestMonth, hourlyCutoff: now - 8 * DAY });
  return { moved: closed.length, pruned };
}

/** When the next window closes (the tenant's next local midnight), for the tenant's alarm. */
export function nextCloseAt(now: number, timezone: string): number {
  return windowsAt(now, timezone).daily.resetAt;
}

/** Counter rows of ended windows with nothing still reserved. */
function closedCounters(store: LedgerStore, today: string, thisMonth: string): CounterRow[] {
  return store.all<CounterRow>(
    `SELECT * FROM counters WHERE reserved = 0 AND ((win LIKE 'day:%' AND win < ?) OR (win LIKE 'month:%' AND win < ?))`,
    today,
    thisMonth,
  );
}

/** Adds a closed counter to history and removes it from the live table. */
function moveToHistory(store: LedgerStore, r: CounterRow, now: number): void {
  store.run(
    `INSERT INTO history (scope, win, spent, requests, closed_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (scope, win) DO UPDATE SET spent = spent + excluded.spent, requests = requests + excluded.requests, closed_at = excluded.closed_at`,
    r.scope,
    r.win,
    r.spent,
    r.requests,
    now,
  );
  store.run(`DELETE FROM counters WHERE scope = ? AND win = ?`, r.scope, r.win);
}

/** Deletes detail and history past retention; returns rows removed. */
function prune(store: LedgerStore, p: { detailCutoff: number; oldestDay: string; oldestMonth: string; hourlyCutoff: number }): number {
  let n = 0;
  n += store.run(`DELETE FROM requests WHERE ts < ?`, p.detailCutoff);
  n += store.run(`DELETE FROM reservations WHERE state != 'open' AND created_at < ?`, p.detailCutoff);
  n += store.run(`DELETE FROM history WHERE win LIKE 'day:%' AND win < ?`, p.oldestDay);
  n += store.run(`DELETE FROM history WHERE win LIKE 'month:%' AND win < ?`, p.oldestMonth);
  n += store.run(`DELETE FROM hourly WHERE hour < ?`, p.hourlyCutoff);
  // Idempotent replays only need to outlive client retries.
  n += store.run(`DELETE FROM replays WHERE at < ?`, p.hourlyCutoff);
  n += store.run(`DELETE FROM final_notices WHERE at < ?`, p.detailCutoff);
  n += store.run(
    `DELETE FROM deliveries WHERE alert_id IN (SELECT id FROM alerts WHERE created_at < ? AND state IN ('delivered', 'failed', 'no_destination'))`,
    p.detailCutoff,
  );
  n += store.run(`DELETE FROM alerts WHERE created_at < ? AND state IN ('delivered', 'failed', 'no_destination')`, p.detailCutoff);
  return n;
}
