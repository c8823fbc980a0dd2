#!/usr/bin/env node
// CPU cost of the exact tier (src/tokens/exact.ts) on long pre-tokenizer pieces, in plain Node:
//
//   node_modules/.bin/node test/tokens/tools/bench-exact.mjs
//
// js-tiktoken alone is quadratic on one long piece (10,000 × "a" ~20 s); countTokensExact
// chunks such pieces, so the time per character must stay flat as the text grows.
import { build } from "esbuild";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const out = join(mkdtempSync(join(root, "node_modules/.bench-exact-")), "bundle.mjs");
const bundled = await build({
  stdin: { contents: `export { countTokensExact } from "./src/tokens/exact";`, resolveDir: root, loader: "ts" },
  bundle: true,
  format: "esm",
  platform: "node",
  write: false,
});
writeFileSync(out, bundled.outputFiles[0].text);
const { countTokensExact } = await import(pathToFileURL(out).href);

const cpuMs = async (fn) => {
  const start = process.cpuUsage();
  const result = await fn();
  const used = process.cpuUsage(start);
  return { ms: (used.user + used.system) / 1000, result };
};
for (const encoding of ["o200k_base", "cl100k_base"]) {
  const built = await cpuMs(() => countTokensExact("warm up", encoding));
  console.log(`${encoding}: encoder built in ${built.ms.toFixed(0)} ms CPU`);
  const r = () => Math.floor(Math.random() * 26);
  let word = "";
  for (let i = 0; i < 200_000; i++) word += String.fromCharCode(97 + r());
  const texts = {
    "800k × 'a' (100k tokens)": "a".repeat(800_000),
    "1.6M × 'a' (200k tokens)": "a".repeat(1_600_000),
    "400k × '-'": "-".repeat(400_000),
    "400k spaces": " ".repeat(400_000),
    "400k × '中'": "中".repeat(400_000),
    "200k random letters, one word": word,
    "100k digits": "7".repeat(100_000),
  };
  for (const [name, text] of Object.entries(texts)) {
    await countTokensExact(text.slice(0, 1000), encoding);
    const { ms, result } = await cpuMs(() => countTokensExact(text, encoding));
    console.log(`  ${name.padEnd(32)} ${String(result).padStart(8)} tokens ${ms.toFixed(1).padStart(9)} ms  ${((ms * 1000) / text.length).toFixed(3)} µs/char`);
  }
}
