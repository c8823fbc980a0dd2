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
//   that are ONE token in both o200k_base and cl100k_base, the 20k most frequent in ~130 MB
//   of English docs and TypeScript/JavaScript/Python sources, ties broken by BPE merge rank.
// - letterPairWeights64: the upper envelope fitted by a linear program: minimise the
//   estimate on unknown English/code words subject to "estimate >= real tokens (+0.5)" for
//   ~290k random lowercase/uppercase/mixed-case strings, pronounceable (CV) gibberish and
//   French/German/Spanish/Italian/Polish/Czech/Turkish words, in both encodings.
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
  selection = {
    letterPieces: pick("KNOWN_LETTER_PIECES").split("\n").map((s) => s.replace(/\+$/, "")),
    letterPairWeights64: pick("LETTER_PAIR_WEIGHTS_64"),
    leadWeights64: pick("LEAD_WEIGHTS_64"),
  };
}

// ---- known letter pieces + tier-2 flag --------------------------------------------------
const ASCII_LEADS = [..."!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~ \t\v\f"];
const letterRe = /^[\t\v\f\x20-\x2f\x3a-\x40\x5b-\x60\x7b-\x7e]?[A-Za-z]+$/;
const letterPieces = [];
let tier2 = 0;
for (const s of selection.letterPieces) {
  if (!letterRe.test(s) || /[a-z][A-Z]/.test(s) || !inBoth(s)) continue; // must be ONE token in both
  let entry = s;
  if (/^[A-Za-z]/.test(s)) {
    // "Tier 2": a known bare word with any one ASCII lead in front costs at most 2 tokens.
    // Not implied by BPE (e.g. "(Markdown" is 3 tokens in cl100k) so it is checked per word.
    if (ASCII_LEADS.every((l) => count(l + s) <= 2)) { entry += "+"; tier2++; }
  }
  letterPieces.push(entry);
}

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
// class 0 = symbol/digit ([^\s\p{L}] for our purposes), 1 = letter or mark, 2 = whitespace.
const N = 0x20000;
const table = new Uint8Array(N);
for (let cp = 0x80; cp < N; cp++) {
  if (cp >= 0xd800 && cp < 0xe000) { table[cp] = 3; continue; } // lone surrogate -> U+FFFD
  const ch = String.fromCodePoint(cp);
  const cls = /\s/u.test(ch) ? 2 : /[\p{L}\p{M}]/u.test(ch) ? 1 : 0;
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
  `/** ASCII-letter pieces (optional one-char lead) that are ONE token in both encodings, "\\n"-separated. A trailing "+" marks a bare word that stays <= 2 tokens behind any single ASCII lead. ${letterPieces.length} entries, ${tier2} with "+". */`,
  `export const KNOWN_LETTER_PIECES: string = ${JSON.stringify(letterPieces.join("\n"))};`,
  `/** ASCII symbol pieces (optional leading space, optional trailing CR/LF) that are ONE token in both encodings. */`,
  `export const KNOWN_SYMBOL_PIECES: readonly string[] = ${JSON.stringify(symbolPieces)};`,
  `/** Extra cost, in 1/64 token, of each letter after the first in a word that is not a known piece; index = kind*676 + prev*26 + cur, kind 0 = Upper->lower, 1 = Upper->Upper, 2 = lower->lower. */`,
  `export const LETTER_PAIR_WEIGHTS_64: readonly number[] = ${JSON.stringify(selection.letterPairWeights64.slice(0, 3 * 676))};`,
  `/** Extra cost, in 1/64 token, of a lead in front of an unknown word: [space, other]. */`,
  `export const LEAD_WEIGHTS_64: readonly number[] = ${JSON.stringify(selection.leadWeights64.slice(0, 2))};`,
  `/** Cost, in 1/64 token, of repeating the same ASCII symbol/whitespace character (index = char code). */`,
  `export const REPEAT_WEIGHTS_64: readonly number[] = ${JSON.stringify(repeat64)};`,
  `/** Run-length encoded U+0080..U+1FFFF: per run one char (48 + value) then the run length in base 36, ","-terminated. value = standalone token count | class << 3 (class 0 symbol/digit, 1 letter/mark, 2 whitespace). */`,
  `export const NON_ASCII_RLE: string = ${JSON.stringify(rle)};`,
  "",
].join("\n");
writeFileSync(outPath, header + body);
console.log(`wrote ${outPath}: ${letterPieces.length} letter pieces (${tier2} tier-2), ${symbolPieces.length} symbol pieces, rle ${rle.length} chars`);
