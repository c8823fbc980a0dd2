/**
 * Budget windows are keyed by their start in the tenant's time zone
 * (`day:2026-11-29`, `month:2026-11`), so midnight needs no write: the next
 * request simply lands in a new row. This module turns an instant into those
 * keys and into the instant the window resets, across DST and month ends.
 */

/** The two windows every scope is counted in. */
export type WindowKind = "daily" | "monthly";

/** Where an instant falls, in one time zone. */
export interface WindowInfo {
  kind: WindowKind;
  /** Storage key of the window, e.g. `day:2026-11-29` or `month:2026-11`. */
  key: string;
  /** Epoch ms of the window's start (local midnight), inclusive. */
  startsAt: number;
  /** Epoch ms when the next window starts: what `X-Budget-Reset` reports. */
  resetAt: number;
}

interface LocalDate {
  year: number;
  month: number; // 1-12
  day: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** True when the runtime knows `timeZone` as an IANA zone name. */
export function isValidTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** Wall-clock fields of `ms` in `timeZone`. */
function localFields(ms: number, timeZone: string): LocalDate & { hour: number; minute: number; second: number } {
  const out = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0 };
  for (const part of formatter(timeZone).formatToParts(ms)) {
    if (part.type in out) out[part.type as keyof typeof out] = Number(part.value);
  }
  return out;
}

/** Offset of `timeZone` from UTC at instant `ms`, in ms (local minus UTC). */
function offsetAt(ms: number, timeZone: string): number {
  const f = localFields(ms, timeZone);
  const asUtc = Date.UTC(f.year, f.month - 1, f.day, f.hour, f.minute, f.second);
  return asUtc - Math.floor(ms / 1000) * 1000;
}

/**
 * The instant local midnight starts `date` in `timeZone`. Two passes because
 * the offset at the UTC guess can differ from the offset at the answer when a
 * DST change lies between them. Where midnight itself is skipped by DST
 * (a few zones change at 00:00), the day starts at the first instant that exists.
 */
export function startOfLocalDay(date: LocalDate, timeZone: string): number {
  const wall = Date.UTC(date.year, date.month - 1, date.day);
  let t = wall - offsetAt(wall, timeZone);
  const second = wall - offsetAt(t, timeZone);
  if (second !== t) t = second;
  const f = localFields(t, timeZone);
  if (f.day !== date.day) {
    // Midnight does not exist on this day: step forward to the first local hour that does.
    while (localFields(t, timeZone).day !== date.day) t += 3_600_000;
  }
  return t;
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, "0");
}

function nextDay(d: LocalDate): LocalDate {
  const t = new Date(Date.UTC(d.year, d.month - 1, d.day + 1));
  return { year: t.getUTCFullYear(), month: t.getUTCMonth() + 1, day: t.getUTCDate() };
}

function nextMonth(d: LocalDate): LocalDate {
  return d.month === 12 ? { year: d.year + 1, month: 1, day: 1 } : { year: d.year, month: d.month + 1, day: 1 };
}

/** Local calendar date of `ms` in `timeZone`. */
export function localDate(ms: number, timeZone: string): LocalDate {
  const f = localFields(ms, timeZone);
  return { year: f.year, month: f.month, day: f.day };
}

/** `day:YYYY-MM-DD` for a local date. */
export function dayKey(d: LocalDate): string {
  return `day:${pad(d.year, 4)}-${pad(d.month)}-${pad(d.day)}`;
}

/** `month:YYYY-MM` for a local date. */
export function monthKey(d: LocalDate): string {
  return `month:${pad(d.year, 4)}-${pad(d.month)}`;
}

const windowCache = new Map<string, Record<WindowKind, WindowInfo>>();

/**
 * The daily and monthly windows containing instant `ms` in `timeZone`.
 * Memoised per zone for the current day: every reserve asks, and the answer
 * only changes at midnight, while computing it takes a dozen Intl calls.
 */
export function windowsAt(ms: number, timeZone = "UTC"): Record<WindowKind, WindowInfo> {
  const hit = windowCache.get(timeZone);
  if (hit && ms >= hit.daily.startsAt && ms < hit.daily.resetAt) return hit;
  const fresh = computeWindows(ms, timeZone);
  if (windowCache.size > 500) windowCache.clear();
  windowCache.set(timeZone, fresh);
  return fresh;
}

function computeWindows(ms: number, timeZone: string): Record<WindowKind, WindowInfo> {
  const today = localDate(ms, timeZone);
  const firstOfMonth = { year: today.year, month: today.month, day: 1 };
  return {
    daily: {
      kind: "daily",
      key: dayKey(today),
      startsAt: startOfLocalDay(today, timeZone),
      resetAt: startOfLocalDay(nextDay(today), timeZone),
    },
    monthly: {
      kind: "monthly",
      key: monthKey(today),
      startsAt: startOfLocalDay(firstOfMonth, timeZone),
      resetAt: startOfLocalDay(nextMonth(today), timeZone),
    },
  };
}

/** ISO 8601 in UTC without milliseconds, the form headers and messages use. */
export function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}
