/** The pure parts of reallocations (src/budget/reallocation.ts), table-driven; and windowStates reading the adjustments. */
import { describe, expect, it } from "vitest";
import {
  adjustedUsd,
  canGive,
  checkApply,
  pickSource,
  reallocationInputSchema,
  sourcesOf,
  type ApplyInput,
  type ScopeUse,
} from "../../src/budget/reallocation";
import { windowsAt } from "../../src/budget/windows";
import { windowStates } from "../../src/ledger/scopes";

describe("request body", () => {
  const ok = { from: "feature:a", to: "user:ann@x.com", amountUsd: 10, reason: "q4" };
  const cases: [string, unknown, string | null][] = [
    ["valid", ok, null],
    ["zero amount", { ...ok, amountUsd: 0 }, "amountUsd"],
    ["negative amount", { ...ok, amountUsd: -1 }, "amountUsd"],
    ["infinite amount", { ...ok, amountUsd: Number.POSITIVE_INFINITY }, "amountUsd"],
    ["string amount", { ...ok, amountUsd: "10" }, "amountUsd"],
    ["from = to", { ...ok, to: "feature:a" }, "to"],
    ["tenant scope", { ...ok, from: "tenant" }, "from"],
    ["unknown kind", { ...ok, from: "team:a" }, "from"],
    ["empty id", { ...ok, to: "feature:" }, "to"],
    ["bad id characters", { ...ok, to: "feature:a b" }, "to"],
    ["missing reason", { from: ok.from, to: ok.to, amountUsd: 1 }, "reason"],
    ["blank reason", { ...ok, reason: "  " }, "reason"],
    ["extra field", { ...ok, month: "2026-12" }, ""],
  ];
  it.each(cases)("%s", (_n, body, field) => {
    const r = reallocationInputSchema.safeParse(body);
    if (field === null) return expect(r.success).toBe(true);
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => i.path.join("."))).toContain(field);
  });
});

describe("checkApply", () => {
  const base: ApplyInput = { amount: 300, from: { limit: 1000, spent: 500, reserved: 100 }, to: { limit: 50 } };
  const cases: [string, ApplyInput, ReturnType<typeof checkApply>][] = [
    ["fits", base, { ok: true, fromLimit: 1000, fromNew: 700, toLimit: 50, toNew: 350 }],
    ["exactly at spent + reserved", { ...base, amount: 400 }, { ok: true, fromLimit: 1000, fromNew: 600, toLimit: 50, toNew: 450 }],
    [
      "reserved tips it over",
      { ...base, amount: 401 },
      { ok: false, code: "insufficient_room", limit: 1000, reduced: 599, spent: 500, reserved: 100 },
    ],
    [
      "below zero with nothing spent",
      { amount: 2000, from: { limit: 1000, spent: 0, reserved: 0 }, to: { limit: 0 } },
      { ok: false, code: "insufficient_room", limit: 1000, reduced: -1000, spent: 0, reserved: 0 },
    ],
    ["from unlimited", { ...base, from: { ...base.from, limit: null } }, { ok: false, code: "scope_unlimited", side: "from" }],
    ["to unlimited", { ...base, to: { limit: null } }, { ok: false, code: "scope_unlimited", side: "to" }],
  ];
  it.each(cases)("%s", (_n, input, want) => expect(checkApply(input)).toEqual(want));
});

describe("sources", () => {
  const use = (scope: string, limit: number | null, used: number, pendingOut = 0): ScopeUse => ({ scope, limit, used, pendingOut });
  const cases: [string, ScopeUse, number][] = [
    ["unused: all of it", use("feature:a", 10_000_000, 0), 10_000_000],
    ["25% used: half", use("feature:a", 10_000_000, 2_500_000), 5_000_000],
    ["floored to cents", use("feature:a", 10_000_000, 1_234_567), 7_530_000],
    ["50% used: nothing", use("feature:a", 10_000_000, 5_000_000), 0],
    ["pending requests take their share", use("feature:a", 10_000_000, 0, 4_000_000), 6_000_000],
    ["unlimited: nothing", use("feature:a", null, 0), 0],
  ];
  it.each(cases)("canGive: %s", (_n, u, want) => expect(canGive(u)).toBe(want));

  it("lists scopes under 50% with room, most room first, and picks the best of a kind that can give it all", () => {
    const s = sourcesOf([
      use("feature:busy", 10_000_000, 9_000_000),
      use("feature:half", 10_000_000, 5_000_000),
      use("feature:small", 2_000_000, 0),
      use("user:ann", 50_000_000, 0),
      use("feature:big", 30_000_000, 3_000_000),
      use("feature:free", null, 0),
    ]);
    expect(s.map((x) => [x.scope, x.canGiveUsd])).toEqual([
      ["user:ann", 50],
      ["feature:big", 24],
      ["feature:small", 2],
    ]);
    expect(s[1]).toMatchObject({ limitUsd: 30, usedUsd: 3, utilization: 0.1 });
    expect(pickSource(s, 10, "feature:x", "feature")?.scope).toBe("feature:big");
    expect(pickSource(s, 25, "feature:x", "feature")).toBeNull();
    expect(pickSource(s, 1, "feature:big", "feature")?.scope).toBe("feature:small");
    expect(pickSource(s, 30, "user:bob", "user")?.scope).toBe("user:ann");
  });
});

describe("adjusted limits", () => {
  const adj = new Map([["feature:a", new Map([["2026-12", -2_500_000]])]]);
  it.each([
    ["adjusted month", 10, "feature:a", "2026-12", 7.5],
    ["as a window key", 10, "feature:a", "month:2026-12", 7.5],
    ["another month", 10, "feature:a", "2027-01", 10],
    ["another scope", 10, "feature:b", "2026-12", 10],
    ["unlimited stays unlimited", undefined, "feature:a", "2026-12", undefined],
  ] as const)("%s", (_n, limit, scope, month, want) => expect(adjustedUsd(limit, adj, scope, month)).toBe(want));

  it("windowStates adds the month's adjustment to the monthly limit only (after the plan)", () => {
    const win = windowsAt(Date.parse("2026-12-10T12:00:00Z"));
    const states = windowStates(
      [
        {
          ref: { kind: "feature", id: "a" },
          limits: { daily: 5, monthly: 10 },
          softPct: 0.8,
          plan: { "2026-12": 20 },
          adjust: new Map([["2026-12", -2_500_000]]),
        },
      ],
      win,
      new Map(),
    );
    expect(states.map((s) => [s.window, s.limit])).toEqual([
      ["daily", 5_000_000],
      ["monthly", 17_500_000],
    ]);
  });
});
