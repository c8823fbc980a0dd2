/**
 * The draw arithmetic, pure (src/ledger/bursts-draw.ts): a request that does
 * not fit its scope draws only the excess over the scope's own budget, from
 * the earliest-expiring pool with room, within the pool's per-request cap;
 * what a pool funded earlier is credited to its scope in every window; at
 * settle the pool pays only what the cost takes own spend past the limit.
 */
import { describe, expect, it } from "vitest";
import { decide, type DecideInput } from "../../src/budget/policy";
import type { ScopeWindow } from "../../src/budget/types";
import { excessOf, planDraw, raisedWindows, settleShare, type PoolView } from "../../src/ledger/bursts-draw";

const DAY = "day:2026-12-01";
const MONTH = "month:2026-12";
const NOW = Date.parse("2026-12-01T12:00:00Z");

function win(over: Partial<ScopeWindow> & Pick<ScopeWindow, "limit">): ScopeWindow {
  return {
    scope: { kind: "user", id: "ann" },
    window: "daily",
    key: DAY,
    resetAt: Date.parse("2026-12-02T00:00:00Z"),
    spent: 0,
    reserved: 0,
    softPct: 0.8,
    ...over,
  };
}

function pool(over: Partial<PoolView> = {}): PoolView {
  return { id: "bp_a", scope: "user:ann", amount: 1000, maxPerRequest: null, expiresAt: NOW + 3_600_000, active: true, used: 0, drawn: {}, ...over };
}

// 1 micro-USD per token: a call of 100 input tokens and a cap of 400 output costs 500.
const base: Omit<DecideInput, "windows"> = {
  primary: { model: "m", inputCost: 100, outputRate: 1_000_000 },
  requestedMaxTokens: 400,
  expectedOutputTokens: 400,
  modelMaxOutputTokens: 16_000,
  minOutputTokens: 400,
  mode: "enforce",
};

function plan(states: ScopeWindow[], pools: PoolView[], over: Partial<DecideInput> = {}) {
  return planDraw({ states, pools, now: NOW, targetOutput: 400, decide: (windows) => decide({ ...base, ...over, windows }) });
}

describe("settleShare: the pool pays what the cost takes own spend past the limit", () => {
  // Limit 1,000; own use 700 before a call of 500 that drew 200; nothing else moved.
  const at = (cost: number, others = 700, drawnElsewhere = 0) => [{ limit: 1000, used: others + drawnElsewhere + cost, drawn: drawnElsewhere + 200 }];
  it.each([
    ["settled in full: the whole draw", at(500), 200],
    ["settled lower: the excess is the last money spent", at(400), 100],
    ["settled within own room: nothing", at(300), 0],
    ["nothing spent: nothing", at(0), 0],
    ["a cost above the reservation never takes more than the draw", at(900), 200],
    ["room came back meanwhile (another call settled lower, a hold returned): less", at(500, 500), 0],
    ["credit for what pools funded earlier", at(500, 700, 300), 200],
  ])("%s", (_name, windows, share) => expect(settleShare(200, 200, windows)).toBe(share));

  it("an expired reservation's draw was already given back: the same share", () => {
    expect(settleShare(200, 0, [{ limit: 1000, used: 700 + 450, drawn: 0 }])).toBe(150);
  });

  it("the worst window decides", () => {
    const windows = [
      { limit: 1000, used: 1100, drawn: 200 },
      { limit: 5000, used: 5150, drawn: 200 },
    ];
    expect(settleShare(200, 200, windows)).toBe(150);
  });
});

describe("planDraw", () => {
  it.each<[string, ScopeWindow[], PoolView[], { draws: number[]; blocked?: boolean; exhausted?: string[] }]>([
    ["fits on its own budget: no draw", [win({ limit: 1000, spent: 400 })], [pool()], { draws: [] }],
    ["over by 300: draws exactly 300", [win({ limit: 1000, spent: 800 })], [pool()], { draws: [300] }],
    ["at the limit: draws the whole call", [win({ limit: 1000, spent: 1000 })], [pool()], { draws: [500] }],
    ["in-flight reservations count as own use", [win({ limit: 1000, spent: 500, reserved: 300 })], [pool()], { draws: [300] }],
    [
      "earlier draws are credited: own 900 of 1000, so 400 more",
      [win({ limit: 1000, spent: 1100 })],
      [pool({ used: 200, drawn: { [DAY]: 200 } })],
      { draws: [400] },
    ],
    [
      "a closed pool's draws are still credited (the call fits own budget)",
      [win({ limit: 1000, spent: 700 })],
      [pool({ active: false, used: 300, drawn: { [DAY]: 300 } })],
      { draws: [] },
    ],
    ["the worst window sets the draw", [win({ limit: 1000, spent: 800 }), win({ window: "monthly", key: MONTH, limit: 5000, spent: 4900 })], [pool()], { draws: [400] }],
    ["not enough left: blocked, pool exhausted", [win({ limit: 1000, spent: 1000 })], [pool({ used: 700 })], { draws: [], blocked: true, exhausted: ["bp_a"] }],
    ["per-request cap below the excess: blocked, not exhausted", [win({ limit: 1000, spent: 1000 })], [pool({ maxPerRequest: 499 })], { draws: [], blocked: true, exhausted: [] }],
    ["per-request cap at the excess: drawn", [win({ limit: 1000, spent: 1000 })], [pool({ maxPerRequest: 500 })], { draws: [500] }],
    ["an expired pool does not draw", [win({ limit: 1000, spent: 1000 })], [pool({ expiresAt: NOW })], { draws: [], blocked: true }],
    ["a pending or closed pool does not draw", [win({ limit: 1000, spent: 1000 })], [pool({ active: false })], { draws: [], blocked: true }],
    ["another scope's pool does not draw", [win({ limit: 1000, spent: 1000 })], [pool({ scope: "feature:x" })], { draws: [], blocked: true }],
  ])("%s", (_name, states, pools, want) => {
    const p = plan(states, pools);
    expect(p.draws.map((d) => d.amount)).toEqual(want.draws);
    expect(p.decision === null).toBe(want.blocked ?? false);
    if (want.exhausted) expect(p.exhausted).toEqual(want.exhausted);
    if (p.decision?.action === "allow") expect(p.decision.amount).toBe(500);
  });

  it("takes the earliest-expiring pool with room, and the next when that one cannot cover the excess", () => {
    const states = [win({ limit: 1000, spent: 1000 })];
    const soon = pool({ id: "bp_soon", expiresAt: NOW + 1000 });
    const later = pool({ id: "bp_later", expiresAt: NOW + 9000 });
    expect(plan(states, [later, soon]).draws).toEqual([{ poolId: "bp_soon", scope: "user:ann", amount: 500, limits: [[DAY, 1000]] }]);
    const small = pool({ id: "bp_soon", expiresAt: NOW + 1000, used: 800 });
    expect(plan(states, [later, small]).draws).toMatchObject([{ poolId: "bp_later", amount: 500 }]);
  });

  it("a call the pool can only partly cover is clamped within its offer, like at any limit", () => {
    const p = plan([win({ limit: 1000, spent: 1000 })], [pool({ maxPerRequest: 300 })], { minOutputTokens: 1 });
    expect(p.decision).toMatchObject({ action: "allow", clamped: true, amount: 300 });
    expect(p.draws.map((d) => d.amount)).toEqual([300]);
  });

  it("a block at the global scope is returned as is (the lease may grow), with no draw", () => {
    const g = win({ scope: { kind: "global", id: "" }, limit: 100 });
    const p = plan([win({ limit: 1000, spent: 1000 }), g], [pool()]);
    expect(p.decision).toMatchObject({ action: "block", blocking: { scope: { kind: "global" } } });
    expect(p.draws).toEqual([]);
  });

  it("two scopes short: each draws its own excess from its own pool", () => {
    const states = [win({ limit: 1000, spent: 900 }), win({ scope: { kind: "feature", id: "x" }, limit: 2000, spent: 1800 })];
    const p = plan(states, [pool(), pool({ id: "bp_f", scope: "feature:x" })]);
    expect(p.draws).toEqual([
      { poolId: "bp_a", scope: "user:ann", amount: 400, limits: [[DAY, 1000]] },
      { poolId: "bp_f", scope: "feature:x", amount: 300, limits: [[DAY, 2000]] },
    ]);
  });

  it("own windows after the draw sit exactly at the limit of the worst window", () => {
    const states = [win({ limit: 1000, spent: 800 })];
    const p = plan(states, [pool()]);
    const own = p.own[0] as ScopeWindow;
    expect(own.spent + own.reserved + 500).toBe(1000);
    expect(excessOf(states, [pool()], "user:ann", 500)).toBe(300);
  });

  it("raised windows keep the soft threshold at the same amount of own spend", () => {
    const w = win({ limit: 1000, spent: 1200, softPct: 0.8 });
    const [r] = raisedWindows([w], [pool({ drawn: { [DAY]: 200 }, maxPerRequest: 500 })], new Map([["user:ann", pool({ maxPerRequest: 500 })]]));
    expect(r?.limit).toBe(1000 + 200 + 500);
    // Own 800 (80%) is where the soft limit begins: total 1000 of the raised 1700.
    expect((r?.softPct ?? 0) * (r?.limit ?? 0)).toBeCloseTo(1000);
  });
});
