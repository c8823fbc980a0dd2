/**
 * The tenant object's one alarm: every step that has something due later
 * asks for it here, and the earliest wins (a later time never replaces an
 * earlier one; the alarm re-arms itself for the rest when it runs).
 */
import type { Ledger } from "./state";

/** How soon after spend moves the spike and forecast checks run. */
export const ANOMALY_DELAY_MS = 5 * 60_000;

/** Wakes the object at `at` unless it already wakes sooner. */
export async function scheduleAlarm(l: Ledger, at: number): Promise<void> {
  if (l.state.alarmAt !== null && l.state.alarmAt <= at) return;
  l.state.alarmAt = at;
  await l.ctx.storage.setAlarm(at);
}

/** Spend moved: look for a spike or a burn-rate problem soon (at most every few minutes). */
export async function anomalyCheckSoon(l: Ledger, now: number): Promise<void> {
  await scheduleAlarm(l, l.state.anomalyDueAt ?? (l.state.anomalyDueAt = now + ANOMALY_DELAY_MS));
}
