import { describe, expect, it } from "vitest";
import { ceilingRates, type CallShape } from "../../src/pricing/ceiling";
import { lookupModel, ratesOf, resolvePrice, usageCost } from "../../src/pricing/cost";
import { hidesOutput } from "../../src/pricing/reasoning";

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

describe("usageCost: every billed unit", () => {
  const sonnet45 = ratesOf(lookupModel("claude-sonnet-4-5")!.price, { web_search: 10_000, web_fetch: 0 });
  const gpt54 = ratesOf(lookupModel("gpt-5.4")!.price, { web_search: 10_000 });
  const base = { inputTokens: 0, cachedInputTokens: 0, cacheWriteTokens: 0, outputTokens: 0 };

  it("prices 1-hour cache writes at 2x input, 5-minute ones at 1.25x", () => {
    expect(usageCost({ ...base, cacheWriteTokens: 100_000 }, sonnet45)).toBe(375_000);
    expect(usageCost({ ...base, cacheWrite1hTokens: 100_000 }, sonnet45)).toBe(600_000);
  });

  it("adds built-in tool fees per unit, and a free unit costs nothing", () => {
    expect(usageCost({ ...base, toolCalls: { web_search: 3, web_fetch: 2 } }, sonnet45)).toBe(30_000);
  });

  it("prices a unit the rates never stored at a known fee, never $0", () => {
    expect(usageCost({ ...base, toolCalls: { file_search: 1 } }, sonnet45)).toBe(2_500);
    expect(usageCost({ ...base, toolCalls: { brand_new_tool: 1 } }, sonnet45)).toBeGreaterThanOrEqual(25_000);
  });

  it("applies the reported service tier's multiplier, and the dearest one to a tier it does not know", () => {
    const u = { ...base, inputTokens: 100_000, outputTokens: 100_000 };
    expect(usageCost(u, gpt54)).toBe(250_000 + 1_500_000);
    expect(usageCost({ ...u, serviceTier: "default" }, gpt54)).toBe(1_750_000);
    expect(usageCost({ ...u, serviceTier: "priority" }, gpt54)).toBe(3_500_000);
    expect(usageCost({ ...u, serviceTier: "flex" }, gpt54)).toBe(875_000);
    expect(usageCost({ ...u, serviceTier: "scale" }, gpt54)).toBe(1_750_000 * 2.5);
  });

  it("bills the whole call at the long-context tier above the threshold, counting cached input", () => {
    const under = { ...base, inputTokens: 200_000, cachedInputTokens: 72_000, outputTokens: 1000 };
    const over = { ...under, cachedInputTokens: 72_001 };
    expect(usageCost(under, gpt54)).toBe(Math.ceil((200_000 * 2_500_000 + 72_000 * 250_000 + 1000 * 15_000_000) / 1e6));
    expect(usageCost(over, gpt54)).toBe(Math.ceil((200_000 * 5_000_000 + 72_001 * 500_000 + 1000 * 22_500_000) / 1e6));
  });

  it("prices audio on the audio models, the first snapshot at its own rate", () => {
    const r = (m: string) => ratesOf(lookupModel(m)!.price);
    const u = { ...base, audioInputTokens: 1000 };
    expect(usageCost(u, r("gpt-4o-audio-preview"))).toBe(40_000);
    expect(usageCost(u, r("gpt-4o-audio-preview-2024-10-01"))).toBe(100_000);
    expect(usageCost(u, r("gpt-4o-audio-preview-2025-06-03"))).toBe(40_000);
    expect(ceilingRates("gpt-4o-mini-audio-preview", lookupModel("gpt-4o-mini-audio-preview")!.price, { inputTokens: 10, audio: true })).toMatchObject({ input: 10_000_000 });
  });

  it("prices audio at the audio rate", () => {
    const audio = ratesOf({ input: 2.5, output: 10, audioInput: 40 });
    expect(usageCost({ ...base, inputTokens: 100, audioInputTokens: 1000 }, audio)).toBe(250 + 40_000);
  });

  it("settles rows stored before these units existed", () => {
    const old = { input: 3_000_000, output: 15_000_000, cachedInput: 300_000, cacheWrite: 3_750_000 };
    expect(usageCost({ ...base, inputTokens: 1000, outputTokens: 100 }, old)).toBe(3000 + 1500);
  });
});

describe("ceilingRates", () => {
  const price = (m: string) => lookupModel(m)!.price;

  it("bounds every input token at the dearest unit it can become", () => {
    const c = ceilingRates("claude-sonnet-4-6", price("claude-sonnet-4-6"), { inputTokens: 1000, cacheTtl: "1h" });
    expect(c).toMatchObject({ input: 6_000_000, output: 15_000_000, toolFees: 0 });
    const plain = ceilingRates("claude-sonnet-4-6", price("claude-sonnet-4-6"), { inputTokens: 1000 });
    expect(plain).toMatchObject({ input: 3_000_000 });
    const five = ceilingRates("claude-sonnet-4-6", price("claude-sonnet-4-6"), { inputTokens: 1000, cacheTtl: "5m" });
    expect(five).toMatchObject({ input: 3_750_000 });
    // GPT-5.6 writes the cache on its own: its input is bounded at the write price without any cache_control.
    expect(ceilingRates("gpt-5.6-sol", price("gpt-5.6-sol"), { inputTokens: 1000 })).toMatchObject({ input: 6_250_000 });
  });

  it("picks the long-context tier by the input bound and multiplies by the tier", () => {
    const c = ceilingRates("gpt-5.4", price("gpt-5.4"), { inputTokens: 300_000, serviceTier: "priority" });
    expect(c).toMatchObject({ input: 10_000_000, output: 45_000_000 });
  });

  it("adds tool fees and stores the declared variant's fee under the reported unit", () => {
    const c = ceilingRates("gpt-4.1", price("gpt-4.1"), { inputTokens: 10, toolCalls: { web_search_preview: 4 } });
    expect(c).toMatchObject({ toolFees: 100_000 });
    if ("unpriced" in c) throw new Error("unexpected");
    expect(usageCost({ inputTokens: 0, cachedInputTokens: 0, cacheWriteTokens: 0, outputTokens: 0, toolCalls: { web_search: 4 } }, c.rates)).toBe(100_000);
    const reasoning = ceilingRates("o3", price("o3"), { inputTokens: 10, toolCalls: { web_search_preview: 4 } });
    expect(reasoning).toMatchObject({ toolFees: 40_000 });
  });

  it.each([
    ["a tier the model has no price for", "gpt-6-sol", { serviceTier: "priority" }, 'service_tier "priority"'],
    ["flex where it is not offered", "gpt-4o", { serviceTier: "flex" }, 'service_tier "flex"'],
    ["a built-in tool without a fee", "gpt-5", { toolCalls: { image_generation: 1 } }, 'built-in tool "image_generation"'],
    ["1-hour writes on a model without that price", "gpt-5", { cacheTtl: "1h" as const }, "1-hour prompt-cache writes"],
    ["audio on a model without an audio price", "gpt-4o", { audio: true }, "audio input on gpt-4o"],
    ["fast mode where it has no price", "claude-fable-5-2", { serviceTier: "fast" }, 'service_tier "fast"'],
  ])("refuses %s", (_n, model, call, named) => {
    const c = ceilingRates(model, price(model), { inputTokens: 100, ...call });
    expect("unpriced" in c && c.unpriced).toContain(named);
  });

  it("treats default, auto, standard and standard_only as the standard price", () => {
    for (const t of ["default", "auto", "standard", "standard_only"]) {
      expect(ceilingRates("gpt-4.1", price("gpt-4.1"), { inputTokens: 1, serviceTier: t })).toMatchObject({ input: 2_000_000 });
    }
  });

  it("never reserves less than any settlement within its bounds", () => {
    // Deterministic pseudo-random usages within the bounds, at the tier asked for.
    let seed = 7;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % (n + 1);
    };
    const cases: [string, CallShape][] = [
      ["gpt-5.4", { inputTokens: 300_000, serviceTier: "priority", toolCalls: { web_search: 3 } }],
      ["gpt-5.4", { inputTokens: 200_000 }],
      ["claude-haiku-5-5", { inputTokens: 150_000, cacheTtl: "1h", toolCalls: { web_search: 2 } }],
      ["claude-opus-5-5", { inputTokens: 50_000, serviceTier: "fast", cacheTtl: "5m" }],
      ["gpt-5.6-sol", { inputTokens: 400_000, serviceTier: "flex" }],
    ];
    for (const [model, call] of cases) {
      const c = ceilingRates(model, price(model), call);
      if ("unpriced" in c) throw new Error(c.unpriced);
      const cap = 20_000;
      const ceiling = Math.ceil((call.inputTokens * c.input + cap * c.output) / 1e6) + c.toolFees;
      for (let i = 0; i < 200; i++) {
        const total = rnd(call.inputTokens);
        const cached = rnd(total);
        const w5 = call.cacheTtl ? rnd(total - cached) : 0;
        const w1 = call.cacheTtl === "1h" ? rnd(total - cached - w5) : 0;
        const u = {
          inputTokens: total - cached - w5 - w1,
          cachedInputTokens: cached,
          cacheWriteTokens: w5,
          cacheWrite1hTokens: w1,
          outputTokens: rnd(cap),
          serviceTier: call.serviceTier ?? undefined,
          toolCalls: Object.fromEntries(Object.entries(call.toolCalls ?? {}).map(([k, n]) => [k, rnd(n)])),
        };
        expect(usageCost(u, c.rates), `${model} ${JSON.stringify(u)}`).toBeLessThanOrEqual(ceiling);
      }
    }
  });

  it("keeps a tenant's negotiated price and fills its missing units from the table's ratios", () => {
    const r = resolvePrice("claude-haiku-5-5", { "claude-haiku-5-5": { input: 0.05, output: 0.25, cacheWrite: 0.0625 } });
    expect(r?.source).toBe("tenant");
    expect(r?.price.input).toBe(0.05);
    expect(r?.price.cacheWrite1h).toBeCloseTo(0.1, 10);
    expect(r?.price.longContext?.input).toBeCloseTo(0.25, 10);
    expect(r?.price.serviceTiers).toEqual(lookupModel("claude-haiku-5-5")!.price.serviceTiers);
  });
});

describe("hidesOutput", () => {
  it.each([
    ["o3", {}, true],
    ["gpt-5.4", {}, true],
    ["gpt-4o", {}, false],
    ["claude-sonnet-4-6", {}, false],
    ["claude-sonnet-4-6", { thinking: { type: "enabled", budget_tokens: 2048 } }, true],
    ["claude-sonnet-5", {}, true],
    ["claude-sonnet-5", { thinking: { type: "disabled" } }, false],
    ["claude-opus-5-5", { thinking: { type: "disabled" } }, true],
    ["no-such-model", {}, true],
  ])("%s %j → %s", (model, body, hidden) => expect(hidesOutput(model, body)).toBe(hidden));
});
