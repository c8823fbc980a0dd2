import { describe, expect, it } from "vitest";
import { decide, tokensCost, type DecideInput } from "../../src/budget/policy";
import type { ScopeWindow } from "../../src/budget/types";

const M = 1_000_000;

function win(over: Partial<ScopeWindow> & Pick<ScopeWindow, "limit">): ScopeWindow {
  return {
    scope: { kind: "tenant", id: "" },
    window: "daily",
    key: "day:2026-11-29",
    resetAt: Date.parse("2026-11-30T00:00:00Z"),
    spent: 0,
    reserved: 0,
    softPct: 0.8,
    ...over,
  };
}

// A model at $1/M input and $2/M output: 1,000 input tokens cost 1,000 micro-USD, 1,000 output 2,000.
const primary = { model: "big", inputCost: 1000, outputRate: 2 * M };
const cheap = { model: "small", inputCost: 100, outputRate: 0.2 * M };

function input(windows: ScopeWindow[], over: Partial<DecideInput> = {}): DecideInput {
  return {
    windows,
    primary,
    requestedMaxTokens: 1000,
    expectedOutputTokens: 500,
    modelMaxOutputTokens: 16_000,
    minOutputTokens: 256,
    mode: "enforce",
    ...over,
  };
}

describe("tokensCost", () => {
  it.each([
    [0, 2 * M, 0],
    [1, 2 * M, 2],
    [1, 150_000, 1], // 0.15 micro-USD rounds up to 1
    [1000, 150_000, 150],
    [1_000_000, 10 * M, 10 * M],
  ])("%i tokens at %i/M = %i", (tokens, rate, cost) => expect(tokensCost(tokens, rate)).toBe(cost));
});

describe("decide", () => {
  it.each<[string, ScopeWindow[], Partial<DecideInput>, Record<string, unknown>]>([
    ["unlimited scopes allow the full estimate", [win({ limit: null })], {}, { action: "allow", amount: 3000, clamped: false }],
    ["exactly fitting is allowed", [win({ limit: 3000 })], {}, { action: "allow", amount: 3000 }],
    [
      "one micro-dollar short clamps the output",
      [win({ limit: 2999 })],
      {},
      { action: "allow", clamped: true, forwardMaxTokens: 999, amount: 2998 },
    ],
    ["clamp stops at minOutputTokens", [win({ limit: 1000 + 512 })], {}, { action: "allow", clamped: true, forwardMaxTokens: 256 }],
    ["below minOutputTokens blocks", [win({ limit: 1000 + 511 })], {}, { action: "block", code: "tenant_daily_budget_exceeded" }],
    ["spent and reserved both count", [win({ limit: 10_000, spent: 5000, reserved: 4000 })], {}, { action: "block" }],
    ["soft limit warns at 80%", [win({ limit: 3750 })], {}, { action: "allow", amount: 3000 }],
    [
      "the tightest of several scopes decides",
      [win({ limit: 100_000 }), win({ scope: { kind: "user", id: "u" }, limit: 1400 })],
      {},
      { action: "block", code: "user_daily_budget_exceeded" },
    ],
    [
      "monthly windows block too",
      [win({ window: "monthly", key: "month:2026-11", limit: 1000 })],
      {},
      { action: "block", code: "tenant_monthly_budget_exceeded" },
    ],
    [
      "a small cap under minOutputTokens is honoured when it fits",
      [win({ limit: 1200 })],
      { requestedMaxTokens: 100 },
      { action: "allow", amount: 1200 },
    ],
    ["a small cap that does not fit blocks", [win({ limit: 1199 })], { requestedMaxTokens: 100 }, { action: "block" }],
    [
      "no cap reserves the learned estimate",
      [win({ limit: null })],
      { requestedMaxTokens: null },
      { action: "allow", amount: 2000, outputTokens: 500, forwardMaxTokens: 500 },
    ],
    [
      // Was: forwarded with a cap worth the whole remaining budget (2,000 tokens) while reserving 500.
      "no cap forwards the reserved estimate as the cap, not the remaining budget",
      [win({ limit: 5000 })],
      { requestedMaxTokens: null },
      { action: "allow", amount: 2000, outputTokens: 500, forwardMaxTokens: 500, clamped: false },
    ],
    [
      "embeddings: input only",
      [win({ limit: 1000 })],
      {
        requestedMaxTokens: null,
        expectedOutputTokens: 0,
        modelMaxOutputTokens: 0,
        primary: { model: "e", inputCost: 1000, outputRate: 0 },
      },
      { action: "allow", amount: 1000 },
    ],
    [
      "embeddings over the limit block",
      [win({ limit: 999 })],
      {
        requestedMaxTokens: null,
        expectedOutputTokens: 0,
        modelMaxOutputTokens: 0,
        primary: { model: "e", inputCost: 1000, outputRate: 0 },
      },
      { action: "block" },
    ],
    ["a zero limit blocks everything", [win({ limit: 0 })], {}, { action: "block" }],
  ])("%s", (_name, windows, over, expected) => {
    expect(decide(input(windows, over))).toMatchObject(expected);
  });

  it("warns past the soft threshold, naming scope, window and percentage", () => {
    const d = decide(input([win({ limit: 3750 })]));
    expect(d).toMatchObject({ action: "allow", warnings: [{ scope: { kind: "tenant" }, window: "daily", pct: 80 }] });
    const below = decide(input([win({ limit: 3751 })]));
    expect(below.action === "allow" && below.warnings).toEqual([]);
  });

  it("honours a per-scope soft threshold", () => {
    const d = decide(input([win({ limit: 10_000, softPct: 0.3 })]));
    expect(d.action === "allow" && d.warnings.map((w) => w.pct)).toEqual([30]);
  });

  it("degrades past the soft limit and prices the reservation at the cheaper model", () => {
    const d = decide(input([win({ limit: 3500 })], { degraded: cheap }));
    expect(d).toMatchObject({ action: "allow", model: "small", degradedFrom: "big", amount: 100 + 200 });
  });

  it("degrades instead of blocking when only the cheaper model fits", () => {
    const d = decide(input([win({ limit: 1000 })], { degraded: cheap }));
    expect(d).toMatchObject({ action: "allow", model: "small", degradedFrom: "big" });
  });

  it("does not degrade below the soft limit", () => {
    const d = decide(input([win({ limit: 100_000 })], { degraded: cheap }));
    expect(d).toMatchObject({ action: "allow", model: "big" });
    expect(d.action === "allow" && d.degradedFrom).toBeUndefined();
  });

  it("shadow mode never blocks, clamps or degrades, but reports the code", () => {
    const d = decide(input([win({ limit: 1000 })], { degraded: cheap, mode: "shadow" }));
    expect(d).toMatchObject({ action: "allow", model: "big", amount: 3000, clamped: false, shadowCode: "tenant_daily_budget_exceeded" });
    expect(d.action === "allow" && d.forwardMaxTokens).toBeUndefined();
  });

  it("reports the tightest remaining budget after the reservation", () => {
    const d = decide(input([win({ limit: 10_000 }), win({ scope: { kind: "user", id: "u" }, limit: 5000, spent: 1000 })]));
    expect(d).toMatchObject({ action: "allow", tightest: { scope: { kind: "user", id: "u" }, remaining: 1000, limit: 5000 } });
  });

  it("names the most specific scope when several are exhausted", () => {
    const d = decide(input([win({ limit: 0 }), win({ scope: { kind: "user", id: "u" }, limit: 0 })]));
    expect(d).toMatchObject({ action: "block", code: "user_daily_budget_exceeded" });
  });
});

describe("decide: output ceilings", () => {
  it.each<[string, ScopeWindow[], Partial<DecideInput>, Record<string, unknown>]>([
    [
      "uncapped with n choices reserves the estimate × n and forwards that total",
      [win({ limit: null })],
      { requestedMaxTokens: null, choices: 3 },
      { action: "allow", amount: 1000 + 3000, outputTokens: 1500, forwardMaxTokens: 1500, clamped: false },
    ],
    [
      "uncapped under a tight budget is forwarded with the lower cap it was reserved at",
      [win({ limit: 1600 })],
      { requestedMaxTokens: null },
      { action: "allow", amount: 1600, outputTokens: 300, forwardMaxTokens: 300, clamped: false },
    ],
    [
      "a clamp keeps whole choices",
      [win({ limit: 2003 })],
      { requestedMaxTokens: null, choices: 2, minOutputTokens: 100 },
      { action: "allow", outputTokens: 500, forwardMaxTokens: 500, amount: 2000 },
    ],
    ["the floor is per choice", [win({ limit: 2003 })], { requestedMaxTokens: null, choices: 2 }, { action: "block", needed: 1000 + 1024 }],
    [
      "a client cap × n is reserved and kept unchanged",
      [win({ limit: null })],
      { requestedMaxTokens: 2000, choices: 2 },
      { action: "allow", amount: 5000, outputTokens: 2000, forwardMaxTokens: undefined, clamped: false },
    ],
    [
      "the uncapped cap never exceeds the model's maximum × n",
      [win({ limit: null })],
      { requestedMaxTokens: null, expectedOutputTokens: 50_000, choices: 2 },
      { action: "allow", outputTokens: 32_000, forwardMaxTokens: 32_000 },
    ],
  ])("%s", (_name, windows, over, expected) => {
    expect(decide(input(windows, over))).toMatchObject(expected);
  });

  it("never forwards a cap above what was reserved", () => {
    for (const limit of [null, 1300, 1600, 2500, 5000, 1_000_000]) {
      for (const requestedMaxTokens of [null, 300, 1000, 100_000]) {
        for (const choices of [1, 2, 7]) {
          for (const mode of ["enforce", "shadow"] as const) {
            const d = decide(input([win({ limit })], { requestedMaxTokens, choices, mode, minOutputTokens: 1 }));
            if (d.action !== "allow") continue;
            const cap = d.forwardMaxTokens ?? requestedMaxTokens;
            expect(cap, JSON.stringify({ limit, requestedMaxTokens, choices, mode })).not.toBeNull();
            expect(cap ?? Infinity).toBeLessThanOrEqual(d.outputTokens);
            expect(d.amount).toBeGreaterThanOrEqual(primary.inputCost + tokensCost(d.outputTokens, primary.outputRate));
          }
        }
      }
    }
  });
});

describe("decide: maxRequestCost and input reserved in full", () => {
  it.each<[string, ScopeWindow[], Partial<DecideInput>, Record<string, unknown>]>([
    [
      "a call under the per-call bound is untouched",
      [win({ limit: null })],
      { maxRequestCost: 3000 },
      { action: "allow", amount: 3000, clamped: false, forwardMaxTokens: undefined },
    ],
    [
      "the per-call bound clamps the output cap",
      [win({ limit: null })],
      { maxRequestCost: 2500 },
      { action: "allow", amount: 2500, outputTokens: 750, forwardMaxTokens: 750, clamped: true },
    ],
    [
      "below the floor it is a deny with the figures, not a block",
      [win({ limit: null })],
      { maxRequestCost: 1511 },
      { action: "deny", code: "request_cost_limit_exceeded", needed: 1512, limit: 1511 },
    ],
    [
      "the per-call bound is named before an exhausted window",
      [win({ limit: 1200 })],
      { maxRequestCost: 1300 },
      { action: "deny", code: "request_cost_limit_exceeded" },
    ],
    [
      "a window still blocks under a generous per-call bound",
      [win({ limit: 1200 })],
      { maxRequestCost: 5000 },
      { action: "block", code: "tenant_daily_budget_exceeded" },
    ],
    [
      "unbounded input reserves the per-call bound in full with the estimate as cap",
      [win({ limit: null })],
      { requestedMaxTokens: null, maxRequestCost: 10_000, reserveInFull: true },
      { action: "allow", amount: 10_000, outputTokens: 500, forwardMaxTokens: 500 },
    ],
    [
      "unbounded input: the output cap fits inside the bound",
      [win({ limit: null })],
      { maxRequestCost: 2500, reserveInFull: true },
      { action: "allow", amount: 2500, outputTokens: 750, forwardMaxTokens: 750, clamped: true },
    ],
    [
      "unbounded input must fit every window at the full bound",
      [win({ limit: 9999 })],
      { maxRequestCost: 10_000, reserveInFull: true },
      { action: "block", needed: 10_000 },
    ],
    [
      "unbounded input with no room for the floor is a deny",
      [win({ limit: null })],
      { maxRequestCost: 1200, reserveInFull: true },
      { action: "deny", code: "request_cost_limit_exceeded" },
    ],
  ])("%s", (_name, windows, over, expected) => {
    expect(decide(input(windows, over))).toMatchObject(expected);
  });

  it("degrades to a cheaper model that fits the per-call bound", () => {
    const d = decide(input([win({ limit: null })], { maxRequestCost: 1500, degraded: cheap }));
    expect(d).toMatchObject({ action: "allow", model: "small", degradedFrom: "big", amount: 300 });
  });
});

describe("decide: shadow mode counts what it forwards", () => {
  it("forwards an uncapped call with the counted estimate as cap, even over the budget", () => {
    const d = decide(input([win({ limit: 1000 })], { requestedMaxTokens: null, mode: "shadow" }));
    expect(d).toMatchObject({
      action: "allow",
      amount: 2000,
      outputTokens: 500,
      forwardMaxTokens: 500,
      shadowCode: "tenant_daily_budget_exceeded",
    });
  });

  it("where enforcement would clamp, counts the call in full and names no code", () => {
    const d = decide(input([win({ limit: 2000 })], { mode: "shadow" }));
    expect(d).toMatchObject({ action: "allow", amount: 3000, clamped: false });
    expect(d.action === "allow" && d.shadowCode).toBeUndefined();
  });

  it("names the per-call deny enforcement would return", () => {
    const d = decide(input([win({ limit: null })], { maxRequestCost: 1000, mode: "shadow" }));
    expect(d).toMatchObject({ action: "allow", amount: 3000, shadowCode: "request_cost_limit_exceeded" });
  });
});
