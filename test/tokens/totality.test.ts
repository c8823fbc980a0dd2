import { Tiktoken } from "js-tiktoken/lite";
import cl100k from "js-tiktoken/ranks/cl100k_base";
import o200k from "js-tiktoken/ranks/o200k_base";
import { beforeAll, describe, expect, it } from "vitest";
import { estimateTokensUpperBound } from "../../src/tokens/estimate";

/**
 * The estimator must be total: every code point, alone or in text, terminates and is never
 * under-counted. A char that the main loop sent to a scanner which then consumed nothing used
 * to loop forever (U+FEFF). Checking all 1.1M code points in six contexts with both real
 * encoders would take about a minute, so the check is split in two:
 * - a byte-level BPE never produces more tokens than the text has UTF-8 bytes, so wherever the
 *   estimate is already >= the byte count the bound holds without encoding anything (every
 *   code point >= U+20000 and most others);
 * - every remaining string (~100k, all in the BMP and plane 1) is encoded with both encoders.
 */
let o: Tiktoken;
let c: Tiktoken;
beforeAll(() => {
  o = new Tiktoken(o200k);
  c = new Tiktoken(cl100k);
});

/** UTF-8 bytes of one code point; a lone surrogate is encoded as U+FFFD (3 bytes). */
function utf8Length(cp: number): number {
  return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
}

/** Contexts for each code point, with the UTF-8 bytes they add around it. */
const CONTEXTS: ReadonlyArray<{ name: string; make: (ch: string) => string; bytes: (cp: number) => number }> = [
  { name: "<cp>", make: (ch) => ch, bytes: (cp) => utf8Length(cp) },
  { name: "a<cp>b", make: (ch) => `a${ch}b`, bytes: (cp) => utf8Length(cp) + 2 },
  { name: "<cp><cp> x", make: (ch) => `${ch}${ch} x`, bytes: (cp) => 2 * utf8Length(cp) + 2 },
  // A space, a digit run and newlines next to the char: the pieces it can lead or end.
  // A space before it, a newline after it, a run of it: the pieces it can lead, end or repeat.
  { name: " <cp>", make: (ch) => ` ${ch}`, bytes: (cp) => utf8Length(cp) + 1 },
  { name: "<cp>\n", make: (ch) => `${ch}\n`, bytes: (cp) => utf8Length(cp) + 1 },
  { name: "x <cp><cp><cp>", make: (ch) => `x ${ch}${ch}${ch}`, bytes: (cp) => 3 * utf8Length(cp) + 2 },
];

/** Lone surrogates included: String.fromCharCode keeps them as they are. */
function charOf(cp: number): string {
  return cp < 0x10000 ? String.fromCharCode(cp) : String.fromCodePoint(cp);
}

describe("estimateTokensUpperBound is total", () => {
  it("terminates on U+FEFF (a BOM) alone and in text", () => {
    for (const s of ["\uFEFF", "\uFEFF\uFEFF", "a\uFEFFb", "\uFEFFhello", "x \uFEFF", "\uFEFF1", "\uFEFF!", "\uFEFF\n"]) {
      const real = Math.max(o.encode(s, [], []).length, c.encode(s, [], []).length);
      expect(estimateTokensUpperBound(s), JSON.stringify(s)).toBeGreaterThanOrEqual(real);
    }
  });

  it("terminates on every code point 0..0x10FFFF in every context and never under-counts", () => {
    const toEncode: string[] = [];
    let provenByBytes = 0;
    for (let cp = 0; cp <= 0x10ffff; cp++) {
      const ch = charOf(cp);
      for (const ctx of CONTEXTS) {
        const s = ctx.make(ch);
        const estimate = estimateTokensUpperBound(s);
        if (estimate >= ctx.bytes(cp)) provenByBytes++;
        else toEncode.push(s);
      }
    }
    expect(provenByBytes + toEncode.length).toBe(0x110000 * CONTEXTS.length);

    const under: string[] = [];
    for (const s of toEncode) {
      const estimate = estimateTokensUpperBound(s);
      const real = Math.max(o.encode(s, [], []).length, c.encode(s, [], []).length);
      if (estimate < real && under.length < 20) {
        under.push(`${JSON.stringify(s)} U+${s.codePointAt(s.length > 2 ? 1 : 0)!.toString(16)}: ${estimate} < ${real}`);
      }
    }
    expect(under).toEqual([]);
  });
});
