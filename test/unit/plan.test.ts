/** Plan resolution per month and time zone (pure): the plan's amount for a planned month, the static limit otherwise. */
import { describe, expect, it } from "vitest";
import { monthlyLimitFor } from "../../src/budget/limits";
import { windowsAt } from "../../src/budget/windows";
import { windowStates } from "../../src/ledger/scopes";
import { addMonths } from "../../src/ledger/plan";

const plan = { "2026-11": 2000, "2026-12": 4000 };

describe("monthlyLimitFor", () => {
  const cases: [string, number | undefined, Record<string, number> | undefined, string, number | undefined][] = [
    ["planned month", 1000, plan, "2026-12", 4000],
    ["planned month as a window key", 1000, plan, "month:2026-11", 2000],
    ["unplanned month keeps the static limit", 1000, plan, "2027-01", 1000],
    ["no plan", 1000, undefined, "2026-12", 1000],
    ["plan without a static limit", undefined, plan, "2026-12", 4000],
    ["unplanned and unlimited", undefined, plan, "2027-01", undefined],
  ];
  for (const [name, limit, p, month, want] of cases) it(name, () => expect(monthlyLimitFor(limit, p, month)).toBe(want));
});

describe("the month a window falls in depends on the tenant's time zone", () => {
  const cases: [string, string, string, number][] = [
    ["2026-11-30T23:30:00Z", "UTC", "2026-11", 2000],
    ["2026-11-30T23:30:00Z", "Europe/Berlin", "2026-12", 4000],
    ["2026-12-01T03:00:00Z", "America/Los_Angeles", "2026-11", 2000],
    ["2026-12-31T12:00:00Z", "Pacific/Kiritimati", "2027-01", 1000],
  ];
  for (const [at, tz, month, want] of cases) {
    it(`${at} in ${tz} is ${month}: $${want}`, () => {
      const win = windowsAt(Date.parse(at), tz);
      expect(win.monthly.key).toBe(`month:${month}`);
      const states = windowStates([{ ref: { kind: "tenant", id: "" }, limits: { daily: 50, monthly: 1000 }, softPct: 0.8, plan }], win, new Map());
      expect(states.find((s) => s.window === "monthly")!.limit).toBe(want * 1_000_000);
      // The daily limit is not planned.
      expect(states.find((s) => s.window === "daily")!.limit).toBe(50_000_000);
    });
  }
});

describe("addMonths", () => {
  const cases: [string, number, string][] = [
    ["2026-12", 1, "2027-01"],
    ["2026-12", 12, "2027-12"],
    ["2026-01", -1, "2025-12"],
    ["2026-03", -24, "2024-03"],
  ];
  for (const [m, d, want] of cases) it(`${m} ${d >= 0 ? "+" : ""}${d}`, () => expect(addMonths(m, d)).toBe(want));
});
