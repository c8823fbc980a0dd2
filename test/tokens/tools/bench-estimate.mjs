#!/usr/bin/env node
// Micro-benchmark of the pre-flight estimator in plain Node (workerd's clock does not advance
// during synchronous code, so timing inside vitest would read 0):
//
//   node_modules/.bin/node test/tokens/tools/bench-estimate.mjs
//
// Reports CPU time (process.cpuUsage), which is less sensitive than wall time to other load on
// the machine, next to a trivial hash loop over the same text as a yardstick.
import { build } from "esbuild";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const out = join(mkdtempSync(join(tmpdir(), "bench-estimate-")), "bundle.mjs");
const bundled = await build({
  stdin: {
    contents: `export { estimateTokensUpperBound } from "./src/tokens/estimate";\nexport { CORPUS } from "./test/tokens/corpus";`,
    resolveDir: root,
    loader: "ts",
  },
  bundle: true,
  format: "esm",
  platform: "neutral",
  write: false,
});
writeFileSync(out, bundled.outputFiles[0].text);
const { estimateTokensUpperBound: estimate, CORPUS } = await import(pathToFileURL(out).href);

const cpu = (fn) => {
  const start = process.cpuUsage();
  fn();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000; // ms
};

const firstCallMs = cpu(() => estimate("warm-up"));
console.log(`first call (builds the tables): ${firstCallMs.toFixed(1)} ms CPU`);

const byCategory = new Map();
for (const s of CORPUS) byCategory.set(s.category, (byCategory.get(s.category) ?? "") + s.text + "\n");
const hashLoop = (s) => {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h;
};
let sink = 0;
console.log("category            chars   ns/char (= µs per 1k chars)   hash-loop ns/char");
for (const [category, text0] of byCategory) {
  // Repeat to ~200k chars so the timer resolution does not matter; flatten the string.
  const text = Buffer.from(text0.repeat(Math.max(1, Math.ceil(200_000 / text0.length)))).toString();
  for (let r = 0; r < 5; r++) sink += estimate(text) + hashLoop(text);
  const reps = 20;
  const est = cpu(() => {
    for (let r = 0; r < reps; r++) sink += estimate(text);
  });
  const base = cpu(() => {
    for (let r = 0; r < reps; r++) sink += hashLoop(text);
  });
  const nsPerChar = (est * 1e6) / (reps * text.length);
  const baseNs = (base * 1e6) / (reps * text.length);
  console.log(
    `${category.padEnd(18)} ${String(text.length).padStart(7)}   ${nsPerChar.toFixed(2).padStart(27)}   ${baseNs.toFixed(2).padStart(17)}`,
  );
}
const prompt = CORPUS.find((s) => s.name === "instructions")?.text ?? "";
const reps = 20000;
const promptMs = cpu(() => {
  for (let r = 0; r < reps; r++) sink += estimate(prompt);
});
console.log(`one ${prompt.length}-char English prompt: ${((promptMs * 1000) / reps).toFixed(2)} µs per call`);
if (sink === 0) console.log("");
