#!/usr/bin/env node
// CPU cost of the pre-flight estimator on adversarial text, in plain Node (workerd's clock does
// not advance during synchronous code, so timing inside vitest would read 0):
//
//   node_modules/.bin/node test/tokens/tools/bench-adversarial.mjs
//
// Prints µs of CPU per KB of UTF-8 input for each kind of text. Linear time means these stay
// flat as the text grows; the script also times each text at 4x the size to show it.
import { build } from "esbuild";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const out = join(mkdtempSync(join(tmpdir(), "bench-adversarial-")), "bundle.mjs");
const bundled = await build({
  stdin: { contents: `export { estimateTokensUpperBound } from "./src/tokens/estimate";`, resolveDir: root, loader: "ts" },
  bundle: true,
  format: "esm",
  platform: "neutral",
  write: false,
});
writeFileSync(out, bundled.outputFiles[0].text);
const { estimateTokensUpperBound: estimate } = await import(pathToFileURL(out).href);

/** Deterministic PRNG (mulberry32) so runs are comparable. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
function randomCodePoints(chars, seed) {
  const r = rng(seed);
  let s = "";
  while (s.length < chars) s += String.fromCodePoint(Math.floor(r() * 0x110000)); // lone surrogates included
  return s;
}
function randomBmp(chars, seed) {
  const r = rng(seed);
  let s = "";
  while (s.length < chars) s += String.fromCharCode(Math.floor(r() * 0x10000));
  return s;
}
function randomAscii(chars, seed) {
  const r = rng(seed);
  let s = "";
  while (s.length < chars) s += String.fromCharCode(32 + Math.floor(r() * 95));
  return s;
}

const SIZE = 256 * 1024; // UTF-16 chars
const kinds = {
  "random code points": (n) => randomCodePoints(n, 1),
  "random BMP": (n) => randomBmp(n, 2),
  "random printable ASCII": (n) => randomAscii(n, 3),
  "one symbol run (-)": (n) => "-".repeat(n),
  "one symbol run (€)": (n) => "€".repeat(n),
  "one letter run (a)": (n) => "a".repeat(n),
  "digits": (n) => "7".repeat(n),
  "spaces": (n) => " ".repeat(n),
  "BOMs (U+FEFF)": (n) => "\uFEFF".repeat(n),
  "BOM between words": (n) => "word\uFEFF".repeat(Math.ceil(n / 5)).slice(0, n),
  "combining marks (a + U+0301...)": (n) => ("a" + "\u0301".repeat(99)).repeat(Math.ceil(n / 100)).slice(0, n),
  "zalgo (marks only)": (n) => "\u0300\u0301\u0302\u0303".repeat(Math.ceil(n / 4)).slice(0, n),
  "emoji ZWJ": (n) => "👨‍👩‍👧‍👦".repeat(Math.ceil(n / 11)).slice(0, n),
  "lone surrogates": (n) => "\ud800".repeat(n),
};

const cpuMs = (fn) => {
  const start = process.cpuUsage();
  fn();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
};
let sink = estimate("warm-up tables");
console.log("text                               KB(UTF-8)   µs/KB    µs/KB at 4x size");
for (const [name, make] of Object.entries(kinds)) {
  const row = [];
  for (const size of [SIZE, 4 * SIZE]) {
    const text = Buffer.from(make(size), "utf16le").toString("utf16le"); // flat string
    const kb = Buffer.byteLength(text, "utf8") / 1024;
    for (let r = 0; r < 3; r++) sink += estimate(text);
    const reps = 5;
    const ms = cpuMs(() => {
      for (let r = 0; r < reps; r++) sink += estimate(text);
    });
    row.push({ kb, usPerKb: (ms * 1000) / (reps * kb) });
  }
  console.log(
    `${name.padEnd(34)} ${row[0].kb.toFixed(0).padStart(9)} ${row[0].usPerKb.toFixed(2).padStart(8)} ${row[1].usPerKb.toFixed(2).padStart(12)}`,
  );
}
if (sink === 0) console.log("");
