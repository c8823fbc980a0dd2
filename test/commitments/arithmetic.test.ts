/**
 * The committed-use discount's arithmetic (src/budget/commitment.ts), in
 * integer micro-USD: the net cost rounded up once per call, reserve amounts
 * never under the net settlement, the month-end projection, the shortfall and
 * the ±10% alert band.
 */
import { describe, expect, it } from "vitest";
import {
  callCosts,
  ceilingCharge,
  commitmentReport,
  judgeCommitment,
  mulDivCeil,
  netBpsOf,
  netCeil,
  projectMonth,
  MIN_PROJECTION_MS,
  UNDERUSE_AFTER_MS,
} from "../../src/budget/commitment";
import { ratesOf, usageCost, usageCosts } from "../../src/pricing/cost";
import { priceCall } from "../../src/ledger/reserve-price";
import { tokensCost } from "../../src/budget/policy";
import { reserveRequest } from "../helpers/guard";

const M = 1_000_000;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe("netBpsOf", () => {
  it.each([
    ["none", null, 10_000],
    ["25%", { monthlyUsd: 1, discountPct: 25 }, 7_500],
    ["33.33%", { monthlyUsd: 1, discountPct: 33.33 }, 6_667],
    ["0.01%", { monthlyUsd: 1, discountPct: 0.01 }, 9_999],
    ["99.99%", { monthlyUsd: 1, discountPct: 99.99 }, 1],
  ])("%s", (_n, c, bps) => expect(netBpsOf(c)).toBe(bps));
});

describe("callCosts: list and net, each rounded up once (exact cost in micro-USD × 10⁶)", () => {
  it.each([
    // name, exact, netBps, list, net
    ["zero", 0, 7_500, 0, 0],
    ["1 micro-USD at 25% off rounds up to 1", 1 * M, 7_500, 1, 1],
    ["a fraction of a micro-USD is 1 either way", 1, 7_500, 1, 1],
    ["$0.004 at 25% off is $0.003", 4_000 * M, 7_500, 4_000, 3_000],
    ["odd: 3 micro-USD at 25% off is 2.25 → 3", 3 * M, 7_500, 3, 3],
    ["odd: 30 micro-USD at 25% off is 22.5 → 23", 30 * M, 7_500, 30, 23],
    ["33.33% off $1: 666,700", M * M, 6_667, M, 666_700],
    ["33.33% off 7 micro-USD: 4.6669 → 5", 7 * M, 6_667, 7, 5],
    ["no discount: net is list", 12_345_678, 10_000, 13, 13],
    ["rounded once from the exact sum, not from the rounded list: 1.5 µ × 0.75 = 1.125 → 2", 1_500_000, 7_500, 2, 2],
    ["0.9 µ × 0.75: list 1, net 1 (never 0 for a paid call)", 900_000, 7_500, 1, 1],
    ["1.2 µ × 0.75 = 0.9 → 1, where rounding the list first (2 × 0.75 → 2) would charge twice the rounding", 1_200_000, 7_500, 2, 1],
  ])("%s", (_n, exact, bps, list, net) => expect(callCosts(exact, bps)).toEqual({ list, net }));

  it("is exact past 2^53 (BigInt) where floating point is not", () => {
    // 3 × 3,002,399,751,580,331 = 2^53 + 1: a float product loses the +1, and ⌈(2^53 + 1) / 2⌉ = 2^52 + 1, not 2^52.
    expect(mulDivCeil(3, 3_002_399_751_580_331, 2)).toBe(4_503_599_627_370_497);
    expect(Math.ceil((3 * 3_002_399_751_580_331) / 2)).toBe(4_503_599_627_370_496);
    expect(callCosts(1e15, 7_500)).toEqual({ list: 1e9, net: 750_000_000 });
  });

  it("mulDivCeil rounds up exactly next to integers", () => {
    expect(mulDivCeil(10_000, 7_500, 10_000)).toBe(7_500);
    expect(mulDivCeil(10_001, 7_500, 10_000)).toBe(7_501);
    expect(mulDivCeil(1, 1, 3)).toBe(1);
    expect(mulDivCeil(0, 5, 3)).toBe(0);
  });
});

describe("usageCost applies the rates' discount", () => {
  const rates = ratesOf({ input: 2.5, output: 10 });
  const u = { inputTokens: 1_000, cachedInputTokens: 0, cacheWriteTokens: 0, outputTokens: 300 };
  it("without netBps it is the list price, as before", () => {
    expect(usageCost(u, rates)).toBe(2_500 + 3_000);
    expect(usageCosts(u, rates)).toEqual({ list: 5_500, net: 5_500 });
  });
  it("with netBps 7500 the call is 25% off, list beside it", () => {
    expect(usageCosts(u, { ...rates, netBps: 7_500 })).toEqual({ list: 5_500, net: 4_125 });
    expect(usageCost(u, { ...rates, netBps: 7_500 })).toBe(4_125);
  });
  it("one output token at $10/M: 10 µ list, 7.5 → 8 net", () => {
    expect(usageCosts({ ...u, inputTokens: 0, outputTokens: 1 }, { ...rates, netBps: 7_500 })).toEqual({ list: 10, net: 8 });
  });
});

describe("reserve amounts are net and never under the net settlement", () => {
  const price = { input: 2.5, output: 10 };
  for (const bps of [10_000, 7_500, 6_667, 1]) {
    it(`netBps ${bps}`, () => {
      for (const [inputTokens, cap] of [
        [1, 1],
        [7, 3],
        [1_001, 333],
        [123_457, 4_097],
      ] as const) {
        const call = priceCall("mock-large", price, reserveRequest("k", { inputTokens, requestedMaxTokens: cap }), 0, bps);
        if ("unpriced" in call) throw new Error("unpriced");
        const amount = call.inputCost + tokensCost(cap, call.outputRate);
        const settled = usageCost({ inputTokens, cachedInputTokens: 0, cacheWriteTokens: 0, outputTokens: cap }, call.rates);
        expect(amount).toBeGreaterThanOrEqual(settled);
        expect(call.rates.netBps).toBe(bps === 10_000 ? undefined : bps);
      }
    });
  }
  it("netCeil rounds up: 1 µ at 25% off reserves 1, 7 at 33.33% off reserves 5", () => {
    expect(netCeil(1, 7_500)).toBe(1);
    expect(netCeil(7, 6_667)).toBe(5);
    expect(netCeil(10_000_000, 7_500)).toBe(7_500_000);
    expect(netCeil(123, 10_000)).toBe(123);
  });
});

describe("ceilingCharge (cost unknown)", () => {
  it("charges the net amount held, list grossed back up", () => {
    expect(ceilingCharge({ list: 100, net: 75 }, 3_000, 7_500)).toEqual({ net: 3_000, list: 4_000 });
  });
  it("a higher measured cost still wins", () => {
    expect(ceilingCharge({ list: 8_000, net: 6_000 }, 3_000, 7_500)).toEqual({ list: 8_000, net: 6_000 });
  });
  it("without a discount list equals net", () => {
    expect(ceilingCharge({ list: 10, net: 10 }, 500, 10_000)).toEqual({ list: 500, net: 500 });
  });
});

describe("projectMonth: linear month-to-date pace", () => {
  const start = Date.UTC(2026, 4, 1);
  const end = Date.UTC(2026, 5, 1); // 31 days
  it.each([
    ["10 days in: × 3.1", 3_000, start + 10 * DAY, 9_300],
    ["half way: × 2", 1_000, start + 15.5 * DAY, 2_000],
    ["nothing spent projects nothing", 0, start + 10 * DAY, 0],
    ["too early: the spend itself", 500, start + MIN_PROJECTION_MS - 1, 500],
    ["just past the wait: × 124", 1, start + MIN_PROJECTION_MS, 124],
    ["a month over: the spend itself", 777, end, 777],
    ["1 µ 30 days in rounds to 1", 1, start + 30 * DAY, 1],
  ])("%s", (_n, net, now, projected) => expect(projectMonth(net, start, end, now)).toBe(projected));
});

describe("commitmentReport", () => {
  const c = { monthlyUsd: 100, discountPct: 25 };
  it("list, net, savings, utilization and shortfall", () => {
    expect(commitmentReport(c, 40 * M, 30 * M, 93 * M)).toEqual({
      committedUsd: 100,
      listUsd: 40,
      netUsd: 30,
      savingsUsd: 10,
      utilization: 0.3,
      projectedUsd: 93,
      projectedShortfallUsd: 7,
    });
  });
  it("no shortfall when the projection passes the commitment", () => {
    expect(commitmentReport(c, 160 * M, 120 * M, 130 * M)).toMatchObject({ utilization: 1.2, projectedShortfallUsd: 0 });
  });
  it("nothing spent: the whole commitment is short", () => {
    expect(commitmentReport(c, 0, 0, 0)).toMatchObject({ listUsd: 0, netUsd: 0, savingsUsd: 0, utilization: 0, projectedShortfallUsd: 100 });
  });
  it("utilization to 4 decimals: 1 µ of $3", () => {
    expect(commitmentReport({ monthlyUsd: 3, discountPct: 33.33 }, 2, 1, 1).utilization).toBe(0);
    expect(commitmentReport({ monthlyUsd: 3, discountPct: 33.33 }, 3 * M, 2 * M, 2 * M).utilization).toBe(0.6667);
  });
});

describe("judgeCommitment: ±10% of the commitment", () => {
  const start = Date.UTC(2026, 4, 1);
  const end = Date.UTC(2026, 5, 1);
  const committed = 31 * M; // $1 a day
  const at = (days: number) => start + days * DAY;
  it.each([
    ["on pace: inside the band", 10 * M, at(10), null],
    ["exactly 110% projected: inside", 11 * M, at(10), null],
    ["a micro-USD past 110%: overrun", 11 * M + 1, at(10), "commitment_overrun"],
    ["exactly 90% projected: inside", 9 * M, at(10), null],
    ["under 90% after a week: underuse", 9 * M - 1, at(10), "commitment_underuse"],
    ["under 90% in the first week: not yet", 0, at(7) - 1, null],
    ["nothing spent after a week: underuse", 0, at(7), "commitment_underuse"],
    ["spend already past 110% in the first hour: overrun", 35 * M, start + HOUR, "commitment_overrun"],
    ["a fast first hour is not projected yet", 1 * M, start + HOUR, null],
    ["fast after 6 hours: overrun", 1 * M, start + 6 * HOUR, "commitment_overrun"],
    ["after the month: nothing", 0, end, null],
  ])("%s", (_n, net, now, kind) => expect(judgeCommitment(committed, net, start, end, now)).toBe(kind));

  it("waits a week for underuse", () => expect(UNDERUSE_AFTER_MS).toBe(7 * DAY));
});
