/**
 * Small statistics helpers: exact percentiles over recorded samples.
 */

/**
 * A growable Float64 sample buffer.
 */
export class Samples {
  constructor(capacity = 4096) {
    this.data = new Float64Array(capacity);
    this.length = 0;
  }

  /** @param {number} v */
  push(v) {
    if (this.length === this.data.length) {
      const next = new Float64Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }

  /** The recorded values, sorted ascending (a copy). */
  sorted() {
    return this.data.slice(0, this.length).sort();
  }
}

/**
 * Nearest-rank percentile of an ascending-sorted array (p in 0..100); NaN if empty.
 * @param {Float64Array | number[]} sorted
 * @param {number} p
 */
export function percentile(sorted, p) {
  const n = sorted.length;
  if (n === 0) return NaN;
  const rank = Math.ceil((p / 100) * n);
  return sorted[Math.min(n - 1, Math.max(0, rank - 1))];
}

/**
 * Count, mean, min, max and the usual percentiles of a sample set.
 * @param {Samples} samples
 */
export function summarize(samples) {
  const s = samples.sorted();
  let sum = 0;
  for (let i = 0; i < s.length; i++) sum += s[i];
  return {
    n: s.length,
    mean: s.length ? sum / s.length : NaN,
    min: s.length ? s[0] : NaN,
    p50: percentile(s, 50),
    p90: percentile(s, 90),
    p99: percentile(s, 99),
    p999: percentile(s, 99.9),
    max: s.length ? s[s.length - 1] : NaN,
  };
}

/**
 * Median of a small list of numbers.
 * @param {number[]} xs
 */
export function median(xs) {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Rounds to `d` decimals, keeping NaN/null as null (JSON-friendly).
 * @param {number} x
 * @param {number} [d]
 * @returns {number | null}
 */
export function round(x, d = 3) {
  if (x === null || x === undefined || !Number.isFinite(x)) return null;
  const f = 10 ** d;
  return Math.round(x * f) / f;
}
