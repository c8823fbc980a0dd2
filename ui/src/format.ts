/** Money, shares and times as the dashboard shows them: USD, and times in the tenant's time zone. */

const usd2 = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD", minimumFractionDigits: 2, maximumFractionDigits: 2 });
const usdSmall = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD", minimumFractionDigits: 2, maximumFractionDigits: 6 });

/** `$1,234.50`; amounts below a cent keep their digits (`$0.000137`) so a small spend never reads as `$0.00`. */
export function usd(value: number | null | undefined): string {
  if (value === null || value === undefined) return "—";
  return Math.abs(value) > 0 && Math.abs(value) < 1 ? usdSmall.format(value) : usd2.format(value);
}

/** `42%`, `3.5%`, or `—` without a limit. */
export function pct(fraction: number | null | undefined): string {
  if (fraction === null || fraction === undefined) return "—";
  const p = fraction * 100;
  return `${p >= 10 || p === 0 ? Math.round(p) : p.toFixed(1)}%`;
}

/** "$0.42 of $5.00" or "$0.42, no limit". */
export function spentOf(spent: number, limit: number | null | undefined): string {
  return limit === null || limit === undefined ? `${usd(spent)}, no limit` : `${usd(spent)} of ${usd(limit)}`;
}

const dtCache = new Map<string, Intl.DateTimeFormat>();
function dtf(timeZone: string, opts: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${timeZone}|${JSON.stringify(opts)}`;
  let f = dtCache.get(key);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat("en-US", { ...opts, timeZone });
    } catch {
      f = new Intl.DateTimeFormat("en-US", { ...opts, timeZone: "UTC" });
    }
    dtCache.set(key, f);
  }
  return f;
}

/** "Dec 1, 2026, 14:05 EST": an instant in the given zone, with the zone named. */
export function dateTime(iso: string | number | null | undefined, timeZone: string): string {
  if (iso === null || iso === undefined || iso === "") return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return dtf(timeZone, {
    year: "numeric",
    month: "short",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
    timeZoneName: "short",
  }).format(d);
}

/** Today's date `YYYY-MM-DD` in a zone. */
export function todayIn(timeZone: string, now = Date.now()): string {
  const parts = dtf(timeZone, { year: "numeric", month: "2-digit", day: "2-digit" }).formatToParts(new Date(now));
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? "";
  return `${get("year")}-${get("month")}-${get("day")}`;
}

/** The `n` dates ending with `last` (inclusive), oldest first, as `YYYY-MM-DD`. */
export function lastDays(last: string, n: number): string[] {
  const end = Date.parse(`${last}T00:00:00Z`);
  return Array.from({ length: n }, (_, i) => new Date(end - (n - 1 - i) * 86_400_000).toISOString().slice(0, 10));
}

/** Days in the month of a `YYYY-MM` or `YYYY-MM-DD`. */
export function daysInMonth(month: string): number {
  const [y, m] = month.split("-").map(Number) as [number, number];
  return new Date(Date.UTC(y, m, 0)).getUTCDate();
}

/** "December 2026" for `2026-12`. */
export function monthName(month: string): string {
  return new Date(`${month}-15T00:00:00Z`).toLocaleString("en-US", { month: "long", year: "numeric", timeZone: "UTC" });
}
