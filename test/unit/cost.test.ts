import { describe, expect, it } from "vitest";
import { lookupModel, ratesOf, resolvePrice, usageCost } from "../../src/pricing/cost";

describe("usageCost", () => {
  const mockLarge = ratesOf({ input: 2.5, cachedInput: 1.25, output: 10 });
  const claude = ratesOf({ input: 3, cachedInput: 0.3, cacheWrite: 3.75, output: 15 });
  it.each([
    ["nothing", mockLarge, { inputTokens: 0, cachedInputTokens: 0, cacheWriteTokens: 0, outputTokens: 0 }, 0],
    ["1M input", mockLarge, { inputTokens: 1_000_000, cachedInputTokens: 0, cacheWriteTokens: 0, outputTokens: 0 }, 2_500_000],
    ["input and output", mockLarge, { inputTokens: 1000, cachedInputTokens: 0, cacheWriteTokens: 0, outputTokens: 500 }, 2500 + 5000],
    [
      "cached input at the cached price",
      mockLarge,
      { inputTokens: 200, cachedInputTokens: 800, cacheWriteTokens: 0, outputTokens: 0 },
      500 + 1000,
    ],
    [
      "cache writes at the write price",
      claude,
      { inputTokens: 10, cachedInputTokens: 1000, cacheWriteTokens: 2000, outputTokens: 100 },
      30 + 300 + 7500 + 1500,
    ],
    [
      "one token rounds up to a micro-dollar",
      ratesOf({ input: 0.15, output: 0.6 }),
      { inputTokens: 1, cachedInputTokens: 0, cacheWriteTokens: 0, outputTokens: 0 },
      1,
    ],
  ])("%s", (_n, rates, usage, cost) => expect(usageCost(usage, rates)).toBe(cost));
});

describe("price resolution", () => {
  it("prefers the tenant's negotiated price, then the table, then the fallback", () => {
    expect(resolvePrice("mock-small", { "mock-small": { input: 1, output: 1 } })?.source).toBe("tenant");
    expect(resolvePrice("mock-small", {})?.price.input).toBe(0.15);
    expect(resolvePrice("no-such-model", {})).toBeNull();
    expect(resolvePrice("no-such-model", { "*": { input: 5, output: 5 } })?.source).toBe("fallback");
  });
  it("finds dated snapshots under their base id", () => {
    expect(lookupModel("gpt-4o-2024-08-06")?.provider).toBe("openai");
  });
});
