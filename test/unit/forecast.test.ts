import { describe, expect, it } from "vitest";
import { forecastMonths, linearFit, mape, seasonalForecast, trendForecast } from "../../src/forecast";

/** mulberry32: a seeded generator so the synthetic history is the same every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Q1 = 1×, Q2 = 1.3×, Q3 = 1.6×, Q4 = 2× (Q4 at 2× Q1), on months Jan..Dec. */
const SEASON = [1, 1, 1, 1.3, 1.3, 1.3, 1.6, 1.6, 1.6, 2, 2, 2];

/** 36 months from a January: base 1000 × season + $20/month trend, ±5% uniform noise. */
function synthetic(seed: number, months = 36): number[] {
  const r = rng(seed);
  return Array.from({ length: months }, (_, i) => (1000 * (SEASON[i % 12] as number) + 20 * i) * (1 + (r() - 0.5) * 0.1));
}

describe("forecastMonths: method by history length", () => {
  const cases: { name: string; history: number[]; method: string; first: number }[] = [
    { name: "no history is flat at 0", history: [], method: "flat", first: 0 },
    { name: "one month is flat at it", history: [42], method: "flat", first: 42 },
    { name: "two months extend the line", history: [10, 20], method: "trend", first: 30 },
    { name: "12 months are still a trend", history: Array.from({ length: 12 }, (_, i) => 100 + 10 * i), method: "trend", first: 220 },
    { name: "13 months are seasonal", history: Array.from({ length: 13 }, (_, i) => 100 + 10 * i), method: "seasonal", first: 230 },
    { name: "a falling trend stops at 0", history: [30, 20, 10], method: "trend", first: 0 },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const f = forecastMonths(c.history, 12);
      expect(f.method).toBe(c.method);
      expect(f.values).toHaveLength(12);
      expect(f.values[0]).toBeCloseTo(c.first, 6);
      for (const v of f.values) expect(v).toBeGreaterThanOrEqual(0);
    });
  }
});

describe("pure parts", () => {
  it("linearFit recovers a line", () => {
    const { intercept, slope } = linearFit([3, 5, 7, 9]);
    expect(intercept).toBeCloseTo(3, 9);
    expect(slope).toBeCloseTo(2, 9);
  });
  it("trendForecast continues the fitted line", () => {
    expect(trendForecast([1, 2, 3], 3)).toEqual([4, 5, 6]);
  });
  it("seasonalForecast repeats an exact season with no trend", () => {
    const h = [...SEASON, ...SEASON].map((s) => s * 100);
    const f = seasonalForecast(h, 24);
    for (let i = 0; i < 24; i++) expect(f[i]).toBeCloseTo((SEASON[i % 12] as number) * 100, 9);
  });
  it("mape skips zero actuals", () => {
    expect(mape([100, 0, 200], [110, 5, 180])).toBeCloseTo(0.1, 9);
  });
});

describe("seasonal forecast on a synthetic 24-month history (Q4 at 2× Q1, +$20/month, ±5% noise)", () => {
  // Measured MAPE of the 12-month forecast: seed 1 5.68%, 2 3.08%, 3 3.07%, 4 4.04%, 5 3.55% (mean 3.9%).
  // The 8% bound leaves room for the noise; a linear trend on the same histories must be over twice as far off.
  const BOUND = 0.08;
  for (const seed of [1, 2, 3, 4, 5]) {
    it(`seed ${seed}: 12-month MAPE under ${BOUND * 100}%, trend-only far worse`, () => {
      const all = synthetic(seed);
      const history = all.slice(0, 24);
      const actual = all.slice(24, 36);
      const f = forecastMonths(history, 12);
      expect(f.method).toBe("seasonal");
      const err = mape(actual, f.values);
      expect(err).toBeLessThan(BOUND);
      expect(mape(actual, trendForecast(history, 12))).toBeGreaterThan(err * 2);
    });
  }
});
