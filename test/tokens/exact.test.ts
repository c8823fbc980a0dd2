import { Tiktoken } from "js-tiktoken/lite";
import cl100k from "js-tiktoken/ranks/cl100k_base";
import o200k from "js-tiktoken/ranks/o200k_base";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { bpeTokenCount } from "../../src/tokens/bpe";
import { CORPUS } from "./corpus";

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

describe("countTokensExact on long pieces (O(n log n) merge, cut only past CHUNK)", () => {
  let exact: ExactModule;
  let o: Tiktoken;
  let c: Tiktoken;
  beforeAll(async () => {
    exact = await import("../../src/tokens/exact");
    o = new Tiktoken(o200k);
    c = new Tiktoken(cl100k);
  });

  /** Deterministic PRNG so failures reproduce. */
  function rng(seed: number): () => number {
    let a = seed >>> 0;
    return () => {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = Math.imul(a ^ (a >>> 15), 1 | a);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }
  function randomFrom(alphabet: string, length: number, seed: number): string {
    const r = rng(seed);
    const chars = [...alphabet];
    let s = "";
    while (s.length < length) s += chars[Math.floor(r() * chars.length)]!;
    return s;
  }
  const LENGTHS = [65, 100, 127, 128, 129, 200, 257, 320];
  const kinds: Array<[string, (n: number, seed: number) => string]> = [
    ...["a", "A", "z", "-", "=", "*", " ", "\n", "\t", "中", "é", "😀", "\u0301"].map(
      (ch): [string, (n: number) => string] => [`run of ${JSON.stringify(ch)}`, (n) => ch.repeat(Math.ceil(n / ch.length))],
    ),
    ["alternating ab", (n) => "ab".repeat(n)],
    ["random lowercase word", (n, seed) => randomFrom("abcdefghijklmnopqrstuvwxyz", n, seed)],
    ["capitalised random word", (n, seed) => "Q" + randomFrom("etaoinshrdlu", n - 1, seed)],
    ["space-led random word", (n, seed) => " " + randomFrom("abcdefghijklmnopqrstuvwxyz", n - 1, seed)],
    ["random symbols", (n, seed) => randomFrom("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", n, seed)],
    ["random whitespace", (n, seed) => randomFrom(" \t\n\r", n, seed) + "x"],
    ["digit run", (n, seed) => randomFrom("0123456789", n, seed)],
    ["random CJK", (n, seed) => randomFrom("的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年", n, seed)],
  ];
  it.each(kinds)("%s: a long piece is merged to exactly js-tiktoken's count", async (_name, make) => {
    for (const [i, length] of LENGTHS.entries()) {
      const text = make(length, i + 1);
      expect(await exact.countTokensExact(text, "o200k_base"), `${length}`).toBe(o.encode(text, [], []).length);
      expect(await exact.countTokensExact(text, "cl100k_base"), `${length}`).toBe(c.encode(text, [], []).length);
    }
  });

  it("bpeTokenCount equals js-tiktoken on random single pieces of every length to 96, and longer", () => {
    const ranksO = Reflect.get(o, "rankMap") as Map<string, number>;
    const memo = new Map<number, number>();
    const utf8 = new TextEncoder();
    const alphabets = ["abcdefghijklmnopqrstuvwxyz", "aab", "!#$%&*+-./:;<=>?@^_|~", "中文字的一", "éàüß", "😀🎉"];
    const pattern = new RegExp(o200k.pat_str, "gu");
    let compared = 0;
    const lengths = [...Array.from({ length: 96 }, (_, i) => i + 1), 127, 128, 129, 150, 200, 255, 256, 257, 300];
    for (const length of lengths) {
      for (const [k, alphabet] of alphabets.entries()) {
        const text = randomFrom(alphabet, length, length * 7 + k);
        const pieces = [...text.matchAll(pattern)].map((m) => m[0]);
        for (const piece of pieces) {
          expect(bpeTokenCount(utf8.encode(piece), ranksO, memo), piece).toBe(o.encode(piece, [], []).length);
          compared++;
        }
      }
    }
    expect(compared).toBeGreaterThanOrEqual(6 * lengths.length);
  });

  it("a piece longer than CHUNK is cut, and the cut margin keeps it >= the uncut merge", async () => {
    const utf8 = new TextEncoder();
    const memo = new Map<number, number>();
    for (const [i, alphabet] of ["aab", "abcdefghijklmnopqrstuvwxyz", "-=*#_", "ab"].entries()) {
      const text = randomFrom(alphabet, 3 * exact.CHUNK + 77, 100 + i);
      for (const [enc, name] of [[o, "o200k_base"], [c, "cl100k_base"]] as const) {
        const ranks = Reflect.get(enc, "rankMap") as Map<string, number>;
        const pieces = [...text.matchAll(new RegExp(name === "o200k_base" ? o200k.pat_str : cl100k.pat_str, "gu"))];
        let uncut = 0;
        for (const m of pieces) uncut += bpeTokenCount(utf8.encode(m[0]), ranks, memo);
        memo.clear();
        expect(await exact.countTokensExact(text, name), `${alphabet} ${name}`).toBeGreaterThanOrEqual(uncut);
      }
    }
  });

  it("is exactly js-tiktoken's count on ordinary text (no piece longer than MAX_PIECE)", async () => {
    for (const sample of CORPUS) {
      expect(await exact.countTokensExact(sample.text, "o200k_base"), sample.name).toBe(o.encode(sample.text, [], []).length);
      expect(await exact.countTokensExact(sample.text, "cl100k_base"), sample.name).toBe(c.encode(sample.text, [], []).length);
    }
  });

  it("counts 200,000 × 'a' through exactInputTokens, no fewer than the true count", async () => {
    const { exactInputTokens } = await import("../../src/tokens/inputs");
    const { estimateTokensUpperBound } = await import("../../src/tokens/estimate");
    const text = "a".repeat(200_000);
    // Lower bound from the vocabulary alone: js-tiktoken returns 1 token for a piece that is a
    // token, so no run of 9..128 'a's is one; with 8 × 'a' the longest all-'a' token, no
    // tokenizer output for 200,000 'a's has fewer than 25,000 tokens.
    for (const enc of [o, c]) {
      expect(enc.encode("a".repeat(8), [], []).length).toBe(1);
      for (let k = 9; k <= 128; k++) expect(enc.encode("a".repeat(k), [], []).length, `${k}`).toBeGreaterThan(1);
    }
    const pieces = { texts: [text], fixedTokens: 0, audioTokens: 0, unbounded: [] };
    for (const encoding of ["o200k_base", "cl100k_base"] as const) {
      const n = await exactInputTokens(pieces, encoding);
      expect(n).toBeGreaterThanOrEqual(25_000);
      // 12 cuts at CHUNK: only their margin above the true 25,000.
      expect(n).toBeLessThanOrEqual(25_000 + Math.ceil(text.length / 16_384) * 8);
      expect(n).toBeLessThanOrEqual(estimateTokensUpperBound(text));
    }
  });
});
