/**
 * Window close: counters of windows that have ended move into `history`
 * (added, then deleted from `counters`, in one transaction), and detail past
 * its retention is pruned. Only windows before the current one are touched,
 * so a request at 23:59:59.999 and the close cannot race; running it twice
 * changes nothing, and a run after a gap closes every missed window.
 */
import { dayKey, localDate, monthKey, windowsAt } from "../budget/windows";
import type { LedgerStore } from "./storage";

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
  const closed = store.closedCounters(current.daily.key, current.monthly.key);
  for (const row of closed) store.moveToHistory(row, now);

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

/** Deletes detail and history past retention; returns rows removed. */
function prune(store: LedgerStore, p: { detailCutoff: number; oldestDay: string; oldestMonth: string; hourlyCutoff: number }): number {
  return (
    store.pruneUsage(p.detailCutoff, p.hourlyCutoff) +
    store.pruneReservations(p.detailCutoff) +
    store.pruneHistory(p.oldestDay, p.oldestMonth) +
    // Idempotent replays only need to outlive client retries.
    store.pruneRecords(p.detailCutoff, p.hourlyCutoff)
  );
}
