import { describe, expect, it } from "vitest";
import { lookupModel } from "../../src/pricing/cost";
import { MODELS, PRICE_SOURCES, PRICE_TABLE_CHECKED } from "../../src/pricing/table";
import type { Encoding, ModelInfo, ProviderName } from "../../src/pricing/types";

const entries: [string, ModelInfo][] = Object.entries(MODELS);

/** Families whose ids map to o200k_base (GPT-6 has no documented tokenizer; the table uses o200k_base). */
const O200K_PREFIXES = ["gpt-4o", "gpt-4.1", "gpt-5", "gpt-6", "o1", "o3", "o4"];
const CL100K_IDS = ["gpt-4", "gpt-4-turbo", "gpt-3.5-turbo", "text-embedding-3-small", "text-embedding-3-large", "text-embedding-ada-002"];

function expectedProvider(id: string): ProviderName {
  if (id.startsWith("claude-")) return "anthropic";
  if (id.startsWith("gemini-")) return "gemini";
  if (id.startsWith("mock-")) return "mock";
  return "openai";
}

function expectedEncoding(id: string): Encoding | undefined {
  if (id.startsWith("claude-")) return "claude_approx";
  if (id.startsWith("gemini-")) return "gemini_approx";
  if (CL100K_IDS.includes(id)) return "cl100k_base";
  if (O200K_PREFIXES.some((p) => id.startsWith(p))) return "o200k_base";
  return undefined;
}

describe("price table metadata", () => {
  it("PRICE_TABLE_CHECKED is a real ISO date that is not in the future", () => {
    expect(PRICE_TABLE_CHECKED).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    const d = new Date(`${PRICE_TABLE_CHECKED}T00:00:00Z`);
    expect(Number.isNaN(d.getTime())).toBe(false);
    // Round-trips, so e.g. 2026-02-30 is rejected.
    expect(d.toISOString().slice(0, 10)).toBe(PRICE_TABLE_CHECKED);
    expect(d.getTime()).toBeLessThanOrEqual(Date.now());
  });

  it("lists official https sources for both providers", () => {
    expect(PRICE_SOURCES.length).toBeGreaterThan(0);
    for (const url of PRICE_SOURCES) expect(new URL(url).protocol).toBe("https:");
    const hosts = new Set(PRICE_SOURCES.map((u) => new URL(u).hostname));
    expect(hosts.has("developers.openai.com")).toBe(true);
    expect(hosts.has("platform.claude.com")).toBe(true);
  });

  it("has the models the proxy is expected to know", () => {
    for (const id of [
      "mock-small",
      "mock-large",
      "mock-embed",
      "gpt-4o",
      "gpt-4o-mini",
      "gpt-4.1",
      "gpt-5",
      "gpt-5-mini",
      "gpt-5-nano",
      "o3",
      "gpt-4",
      "gpt-4-turbo",
      "gpt-3.5-turbo",
      "text-embedding-3-small",
      "text-embedding-3-large",
      "text-embedding-ada-002",
      "claude-sonnet-4-5",
      "claude-haiku-4-5",
      "claude-haiku-4-5-20251001",
    ]) {
      expect(MODELS[id], id).toBeDefined();
    }
  });
});

describe.each(entries)("%s", (id, info) => {
  it("has positive finite input and a sane output price", () => {
    expect(Number.isFinite(info.price.input)).toBe(true);
    expect(info.price.input).toBeGreaterThan(0);
    expect(Number.isFinite(info.price.output)).toBe(true);
    if (info.kind === "embedding") {
      expect(info.price.output).toBe(0);
      expect(info.maxOutputTokens).toBe(0);
    } else {
      expect(info.price.output).toBeGreaterThan(0);
      expect(Number.isInteger(info.maxOutputTokens)).toBe(true);
      expect(info.maxOutputTokens).toBeGreaterThan(0);
    }
  });

  it("prices cache reads at or below input and cache writes at or above input", () => {
    const { input, cachedInput, cacheWrite } = info.price;
    if (cachedInput !== undefined) {
      expect(cachedInput).toBeGreaterThan(0);
      expect(cachedInput).toBeLessThanOrEqual(input);
    }
    if (cacheWrite !== undefined) expect(cacheWrite).toBeGreaterThanOrEqual(input);
  });

  it("has the provider and encoding its id implies", () => {
    expect(info.provider).toBe(expectedProvider(id));
    const enc = expectedEncoding(id);
    if (enc !== undefined) expect(info.encoding).toBe(enc);
    if (info.provider !== "anthropic") expect(info.encoding).not.toBe("claude_approx");
    if (info.provider !== "gemini") expect(info.encoding).not.toBe("gemini_approx");
    if (info.provider === "anthropic") expect(info.price.cacheWrite, "Anthropic models carry a 5m cache-write price").toBeDefined();
  });

  it("uses an id a client would send (no provider prefix, no whitespace, lower case)", () => {
    expect(id).toMatch(/^[a-z0-9][a-z0-9.-]*$/);
  });
});

describe("mock models", () => {
  it("have exactly the fixed values", () => {
    expect(MODELS["mock-small"]).toStrictEqual({
      provider: "mock",
      kind: "chat",
      encoding: "o200k_base",
      price: { input: 0.15, cachedInput: 0.075, output: 0.6 },
      maxOutputTokens: 16384,
      hiddenReasoning: false,
    });
    expect(MODELS["mock-large"]).toStrictEqual({
      provider: "mock",
      kind: "chat",
      encoding: "o200k_base",
      price: { input: 2.5, cachedInput: 1.25, output: 10 },
      maxOutputTokens: 16384,
      hiddenReasoning: false,
    });
    expect(MODELS["mock-embed"]).toStrictEqual({
      provider: "mock",
      kind: "embedding",
      encoding: "o200k_base",
      price: { input: 0.02, output: 0 },
      maxOutputTokens: 0,
      hiddenReasoning: false,
    });
  });
});

describe("Anthropic aliases", () => {
  it("price dated snapshot ids and their aliases identically", () => {
    for (const [alias, dated] of [
      ["claude-opus-4-5", "claude-opus-4-5-20251101"],
      ["claude-sonnet-4-5", "claude-sonnet-4-5-20250929"],
      ["claude-haiku-4-5", "claude-haiku-4-5-20251001"],
    ] as const) {
      expect(MODELS[alias], alias).toBeDefined();
      expect(MODELS[dated], dated).toStrictEqual(MODELS[alias]);
    }
  });
});

describe("billed units beyond base tokens", () => {
  it("prices the first gpt-4o snapshot at its own list price, and other snapshots as their base", () => {
    expect(lookupModel("gpt-4o-2024-05-13")?.price).toMatchObject({ input: 5, output: 15 });
    expect(lookupModel("gpt-4o-2024-08-06")?.price.input).toBe(2.5);
  });

  it("gives every Claude model a 1-hour cache write at 2x base input", () => {
    for (const [id, info] of entries) {
      if (info.provider !== "anthropic") continue;
      expect(info.price.cacheWrite1h, id).toBeCloseTo(info.price.input * 2, 10);
    }
    expect(MODELS["claude-opus-5-5"]?.price.cacheWrite1h).toBe(8); // official model page
    expect(MODELS["claude-sonnet-5"]?.price.cacheWrite1h).toBe(4); // official model page
  });

  it("marks hidden reasoning on OpenAI reasoning families and never on older chat models", () => {
    for (const id of ["o3", "o4-mini", "gpt-5", "gpt-5.4", "gpt-6-sol"]) expect(MODELS[id]?.hiddenReasoning, id).toBe(true);
    for (const id of ["gpt-4o", "gpt-4.1", "gpt-3.5-turbo", "mock-small", "claude-sonnet-4-6"]) {
      expect(MODELS[id]?.hiddenReasoning, id).toBe(false);
    }
  });

  it("carries OpenAI priority multipliers that match the published priority prices", () => {
    // openai.com/api-priority-processing: gpt-4.1 $3.50 / $14, o4-mini $2 / $8, gpt-5.5 $12.50 / $75.
    expect(MODELS["gpt-4.1"]!.price.input * MODELS["gpt-4.1"]!.price.serviceTiers!.priority!).toBeCloseTo(3.5, 10);
    expect(MODELS["o4-mini"]!.price.output * MODELS["o4-mini"]!.price.serviceTiers!.priority!).toBeCloseTo(8, 10);
    expect(MODELS["gpt-5.5"]!.price.output * MODELS["gpt-5.5"]!.price.serviceTiers!.fast!).toBeCloseTo(75, 10);
    expect(MODELS["gpt-5.4-nano"]!.price.serviceTiers?.priority).toBeUndefined();
  });

  it("has long-context tiers where the providers bill the whole call higher", () => {
    expect(MODELS["gpt-5.4"]!.price.longContext).toMatchObject({ aboveInputTokens: 272_000, input: 5, cachedInput: 0.5, output: 22.5 });
    expect(MODELS["claude-haiku-5-5"]!.price.longContext).toMatchObject({ aboveInputTokens: 100_000, input: 0.5, output: 2.5 });
    expect(MODELS["claude-haiku-5-5"]!.price.longContext!.cacheWrite1h).toBeCloseTo(1, 10); // claudit v1.9.2: $1.00
    expect(MODELS["claude-sonnet-4-6"]!.price.longContext).toBeUndefined();
  });

  it("keeps every tier's prices positive and every multiplier positive", () => {
    for (const [id, info] of entries) {
      for (const [t, m] of Object.entries(info.price.serviceTiers ?? {})) expect(m, `${id} ${t}`).toBeGreaterThan(0);
      const lc = info.price.longContext;
      if (lc) {
        expect(lc.input, id).toBeGreaterThanOrEqual(info.price.input);
        expect(lc.output, id).toBeGreaterThanOrEqual(info.price.output);
      }
    }
  });
});
