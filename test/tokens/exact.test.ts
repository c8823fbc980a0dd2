import { beforeAll, describe, expect, it, vi } from "vitest";

type ExactModule = typeof import("../../src/tokens/exact");

/**
 * Module state (which encoders exist) may be shared with other test files that run in the
 * same isolate, so each laziness check starts from a freshly evaluated copy of the module:
 * `vi.resetModules()` empties the module cache and the dynamic import evaluates it again.
 */
async function freshExact(): Promise<ExactModule> {
  vi.resetModules();
  return import("../../src/tokens/exact");
}

describe("countTokensExact laziness", () => {
  it("constructs no encoder at import, and only the requested one on first use", async () => {
    const exact = await freshExact();
    expect(exact.isEncoderLoaded("o200k_base")).toBe(false);
    expect(exact.isEncoderLoaded("cl100k_base")).toBe(false);

    // The estimator is the common path: it must never construct an encoder.
    const { estimateTokensUpperBound } = await import("../../src/tokens/estimate");
    expect(estimateTokensUpperBound("hello world, this is the common path")).toBeGreaterThan(0);
    expect(exact.isEncoderLoaded("o200k_base")).toBe(false);
    expect(exact.isEncoderLoaded("cl100k_base")).toBe(false);

    // Empty text short-circuits without loading anything.
    expect(await exact.countTokensExact("", "cl100k_base")).toBe(0);
    expect(exact.isEncoderLoaded("cl100k_base")).toBe(false);

    expect(await exact.countTokensExact("hello world", "cl100k_base")).toBe(2);
    expect(exact.isEncoderLoaded("cl100k_base")).toBe(true);
    expect(exact.isEncoderLoaded("o200k_base")).toBe(false);
  });

  it("serves concurrent first calls from one shared construction", async () => {
    const exact = await freshExact();
    const counts = await Promise.all([
      exact.countTokensExact("hello world", "o200k_base"),
      exact.countTokensExact("Hello, world!", "o200k_base"),
      exact.countTokensExact("1234567890", "o200k_base"),
    ]);
    expect(counts).toEqual([2, 4, 4]);
    expect(exact.isEncoderLoaded("o200k_base")).toBe(true);
  });
});

describe("countTokensExact values", () => {
  let exact: ExactModule;
  beforeAll(async () => {
    exact = await import("../../src/tokens/exact");
  });

  // Reference counts from js-tiktoken 1.0.21 (they match OpenAI's tiktoken).
  const cases: Array<[string, number, number]> = [
    ["hello world", 2, 2],
    ["Hello, world!", 4, 4],
    ["The quick brown fox jumps over the lazy dog.", 10, 10],
    ["const x = await fetch(url);\n", 7, 7],
    ["1234567890", 4, 4],
    ["人工智能正在改变我们的工作方式。", 8, 14],
    ["👨‍👩‍👧‍👦", 11, 18],
  ];
  it.each(cases)("%j -> o200k %i, cl100k %i", async (text, o200k, cl100k) => {
    expect(await exact.countTokensExact(text, "o200k_base")).toBe(o200k);
    expect(await exact.countTokensExact(text, "cl100k_base")).toBe(cl100k);
  });

  it("counts special-token text in user input as ordinary text instead of throwing", async () => {
    // As a special token "<|endoftext|>" would be 1 token; as text it is 7 in both.
    expect(await exact.countTokensExact("<|endoftext|>", "o200k_base")).toBe(7);
    expect(await exact.countTokensExact("<|endoftext|>", "cl100k_base")).toBe(7);
    expect(await exact.countTokensExact("a<|endoftext|>b<|fim_prefix|>", "o200k_base")).toBe(15);
    expect(await exact.countTokensExact("a<|endoftext|>b<|fim_prefix|>", "cl100k_base")).toBe(16);
  });
});
