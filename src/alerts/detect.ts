/**
 * Anomaly detection on a tenant's spend, as pure functions so they can be
 * tested on synthetic histories: the spend spike (the seed's "if a team's
 * cost suddenly 10x, something is wrong") and the burn-rate forecast.
 */

const HOUR = 3_600_000;

/** Options for {@link detectSpike}. */
export interface SpikeOptions {
  /** Last hour over trailing average at or above this is a spike. */
  factor: number;
  /** Below this last-hour spend (micro-USD) nothing pages anyone, whatever the ratio. */
  floorMicros: number;
  /** Trailing window the average is taken over, in hours. */
  trailingHours: number;
}

/** Defaults: 10× the trailing 7-day hourly average, and at least $1 in the hour. */
export const SPIKE_DEFAULTS: SpikeOptions = { factor: 10, floorMicros: 1_000_000, trailingHours: 7 * 24 };

/** Hour bucket (epoch ms of the hour's start) of an instant. */
export function hourOf(ms: number): number {
  return Math.floor(ms / HOUR) * HOUR;
}

/** A detected spike. */
export interface Spike {
  hour: number;
  lastHour: number;
  trailingAverage: number;
  ratio: number;
}

/**
 * Whether the last complete-or-current hour's spend is a spike against the
 * trailing hourly average (hours without spend count as zero).
 * `hourly` maps hour start → micro-USD spent in that hour.
 */
export function detectSpike(hourly: ReadonlyMap<number, number>, now: number, opts: SpikeOptions = SPIKE_DEFAULTS): Spike | null {
  const current = hourOf(now);
  const lastHour = hourly.get(current) ?? 0;
  if (lastHour < opts.floorMicros) return null;
  let trailing = 0;
  for (let h = 1; h <= opts.trailingHours; h++) trailing += hourly.get(current - h * HOUR) ?? 0;
  const average = trailing / opts.trailingHours;
  // With no history at all, any spend above the floor is a spike: a new runaway loop looks exactly like that.
  const ratio = average === 0 ? Number.POSITIVE_INFINITY : lastHour / average;
  return ratio >= opts.factor ? { hour: current, lastHour, trailingAverage: average, ratio } : null;
}

/** A burn-rate forecast. */
export interface Forecast {
  /** Instant the monthly limit runs out at the current pace. */
  exhaustedAt: number;
  /** Spend per ms so far this month. */
  ratePerMs: number;
}

/**
 * At the current month's pace (spend so far over time elapsed), when the
 * monthly limit runs out; null when it lasts past the month's end or there
 * is too little history (less than `minElapsedMs`) to say.
 */
export function forecastExhaustion(
  spent: number,
  limit: number,
  monthStart: number,
  monthEnd: number,
  now: number,
  minElapsedMs = 6 * HOUR,
): Forecast | null {
  const elapsed = now - monthStart;
  if (elapsed < minElapsedMs || spent <= 0 || limit <= 0) return null;
  const rate = spent / elapsed;
  const exhaustedAt = spent >= limit ? now : now + (limit - spent) / rate;
  return exhaustedAt < monthEnd ? { exhaustedAt: Math.floor(exhaustedAt), ratePerMs: rate } : null;
}
