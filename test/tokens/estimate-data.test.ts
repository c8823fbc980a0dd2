/**
 * The estimator's generated tables (src/tokens/estimate-data.ts) make claims about the real
 * encoders: "this piece is one token in both", "this word stays <= 2 tokens behind any one
 * ASCII lead", "this character costs n tokens on its own". Re-check them here, so upgrading
 * js-tiktoken (or editing the tables) cannot silently break the bound. Regenerate with
 * `node test/tokens/tools/gen-estimate-data.mjs`.
 */
import { Tiktoken } from "js-tiktoken/lite";
import cl100k from "js-tiktoken/ranks/cl100k_base";
import o200k from "js-tiktoken/ranks/o200k_base";
import { beforeAll, describe, expect, it } from "vitest";
import {
  KNOWN_OTHER_PIECES,
  KNOWN_SYMBOL_PIECES,
  KNOWN_WORD_STEMS,
  LETTER_PAIR_WEIGHTS_64,
  NON_ASCII_RLE,
} from "../../src/tokens/estimate-data";
import { seededRandom } from "./corpus";

let o: Tiktoken;
let c: Tiktoken;
const count = (s: string) => Math.max(o.encode(s, [], []).length, c.encode(s, [], []).length);
const LEADS = [..."!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~ \t\v\f"];

beforeAll(() => {
  o = new Tiktoken(o200k);
  c = new Tiktoken(cl100k);
});

function stemEntries(): Array<{ piece: string; tier2: boolean }> {
  const out: Array<{ piece: string; tier2: boolean }> = [];
  for (const line of KNOWN_WORD_STEMS.split("\n")) {
    const bits = line.charCodeAt(0) - 0x40;
    const lower = line.slice(1);
    const capital = lower.charAt(0).toUpperCase() + lower.slice(1);
    if (bits & 1) out.push({ piece: " " + lower, tier2: false });
    if (bits & 2) out.push({ piece: lower, tier2: (bits & 16) !== 0 });
    if (bits & 4) out.push({ piece: " " + capital, tier2: false });
    if (bits & 8) out.push({ piece: capital, tier2: (bits & 32) !== 0 });
    // A tier-2 flag without the bare word being a token would be meaningless.
    if (bits & 16) expect(bits & 2, lower).toBeTruthy();
    if (bits & 32) expect(bits & 8, capital).toBeTruthy();
  }
  for (const line of KNOWN_OTHER_PIECES.split("\n")) {
    const tier2 = line.endsWith("+");
    out.push({ piece: tier2 ? line.slice(0, -1) : line, tier2 });
  }
  return out;
}

describe("estimate-data tables", () => {
  it("every known letter piece is exactly one token in both encodings", () => {
    const entries = stemEntries();
    expect(entries.length).toBeGreaterThan(10_000);
    const bad = entries.filter((e) => o.encode(e.piece, [], []).length !== 1 || c.encode(e.piece, [], []).length !== 1);
    expect(bad.map((e) => e.piece)).toEqual([]);
  });

  it("every known symbol piece is exactly one token in both encodings", () => {
    const bad = KNOWN_SYMBOL_PIECES.filter((p) => o.encode(p, [], []).length !== 1 || c.encode(p, [], []).length !== 1);
    expect(bad).toEqual([]);
  });

  it("tier-2 words stay <= 2 tokens behind every single ASCII lead (seeded sample)", () => {
    const tier2 = stemEntries().filter((e) => e.tier2);
    const rnd = seededRandom(7);
    const bad: string[] = [];
    for (let k = 0; k < 250; k++) {
      const word = tier2[Math.floor(rnd() * tier2.length)]?.piece ?? "";
      for (const lead of LEADS) if (count(lead + word) > 2) bad.push(lead + word);
    }
    expect(bad).toEqual([]);
  });

  it("the non-ASCII table matches each character's standalone cost (every 61st code point)", () => {
    const table = new Uint8Array(0x20000);
    let at = 0x80;
    for (let p = 0; p < NON_ASCII_RLE.length;) {
      const comma = NON_ASCII_RLE.indexOf(",", p);
      const len = parseInt(NON_ASCII_RLE.slice(p + 1, comma), 36);
      table.fill(NON_ASCII_RLE.charCodeAt(p) - 48, at, at + len);
      at += len;
      p = comma + 1;
    }
    expect(at).toBe(0x20000);
    const bad: string[] = [];
    for (let cp = 0x80; cp < 0x20000; cp += 61) {
      if (cp >= 0xd800 && cp < 0xe000) continue;
      const ch = String.fromCodePoint(cp);
      const value = table[cp] ?? 0;
      const cls = /\s/u.test(ch) ? 2 : /[\p{L}\p{M}]/u.test(ch) ? 1 : /\p{N}/u.test(ch) ? 3 : 0;
      if ((value & 7) !== count(ch) || value >> 3 !== cls) bad.push(cp.toString(16));
    }
    expect(bad).toEqual([]);
  });

  it("letter-pair surcharges are within [0, 1] token", () => {
    expect(LETTER_PAIR_WEIGHTS_64.length).toBe(3 * 676);
    expect(LETTER_PAIR_WEIGHTS_64.every((w) => w >= 0 && w <= 64)).toBe(true);
  });
});
