/**
 * `npm run bench:profile`: where the guard's CPU goes on the hot path of the
 * bench's request (an allowed chat call a busy subject decides at the edge),
 * per prompt size. It bundles the src modules with esbuild, runs each stage of
 * guard.ts/forward.ts alone in a warm loop, then the whole request through
 * `app.fetch`, and times throwaway alternatives for the costly stages.
 *
 * Node's V8, not workerd: the split between stages is what it shows, not the
 * absolute figures the bench measures in workerd.
 *
 * Flags: --sizes=100,1000,10000,100000  --scale=1 (multiplies the iteration counts)  --json=PATH
 */
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { makePrompts, sizeLabel } from "./prompts.mjs";
import { loadGuardModules } from "./profile/build.mjs";
import { appLoop } from "./profile/app-loop.mjs";
import { encodeStage, experiments } from "./profile/experiments.mjs";
import { prepare, stages } from "./profile/stages.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const arg = (name, dflt) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1] ?? dflt;
const SIZES = arg("sizes", "100,1000,10000,100000").split(",").map(Number);
const SCALE = Number(arg("scale", "1"));
/** The bench's guard CPU over the pass-through with edge allowances (`--quick --global=off`), µs/request. */
const BENCH_DELTA = { 100: 676, 1000: 880, 10000: 1394, 100000: 11032 };
const TARGET = { 100: 300, 1000: 600, 10000: 3000, 100000: 10000 };

const iterations = (n) => Math.max(5, Math.round(SCALE * (n >= 100_000 ? 50 : n >= 10_000 ? 300 : 2000)));

/**
 * Mean µs of process CPU (user + system, all threads: GC helpers and the crypto thread pool count)
 * per call of `fn` over `n` calls after `n / 4` warm-up calls. CPU, not wall: Node runs
 * crypto.subtle.digest on its thread pool, so a wall clock would count the wait for it.
 */
async function time(fn, n, isAsync) {
  let sink = 0;
  const run = async (k) => {
    if (isAsync) for (let i = 0; i < k; i++) sink += (await fn()) ? 1 : 0;
    else for (let i = 0; i < k; i++) sink += fn() ? 1 : 0;
  };
  await run(Math.max(3, n >> 2));
  const c0 = process.cpuUsage();
  await run(n);
  const c = process.cpuUsage(c0);
  const us = (c.user + c.system) / n;
  return sink < 0 ? -1 : us;
}

const fmt = (us) => (us >= 1000 ? `${(us / 1000).toFixed(2)} ms` : us >= 10 ? `${us.toFixed(0)} µs` : `${us.toFixed(1)} µs`);
const pad = (s, w, right = false) => (right ? String(s).padStart(w) : String(s).padEnd(w));

function table(title, rows, sizes) {
  const w = Math.max(...rows.map((r) => r[0].length), title.length);
  console.log(`\n${pad(title, w)}  ${sizes.map((n) => pad(sizeLabel(n), 10, true)).join(" ")}`);
  console.log("-".repeat(w + 2 + sizes.length * 11));
  for (const [name, ...cells] of rows) console.log(`${pad(name, w)}  ${cells.map((c) => pad(c, 10, true)).join(" ")}`);
}

async function main() {
  const { mod: m, cleanup } = await loadGuardModules(root);
  const { prompts, tokenizer } = await makePrompts(SIZES);
  console.log(`bench:profile — Node ${process.version} (V8 ${process.versions.v8}); not workerd: read the split, not the absolutes.`);
  console.log(
    `Request: bench/prompts.mjs chatBody (system + user message, max_tokens 64, ${"bench/gpt-4o-mini"}), prompts cut by ${tokenizer}.`,
  );
  console.log("Path: allowed, decided at the edge from a held allowance (no RPC), non-streaming, usage in the answer.");
  // One unmeasured pass at the smallest size first: every stage is JIT-warm before any figure is kept.
  {
    const s = await prepare(m, prompts.get(Math.min(...SIZES)).text);
    for (const st of stages(m, s)) await time(st.fn, 2000, st.async);
    const loop = await appLoop(m, s);
    await time(loop.guard, 2000, true);
    await time(loop.floor, 1000, true);
    await time(loop.health, 1000, true);
  }
  /** @type {Record<number, any>} */
  const out = {};
  for (const n of SIZES) {
    const s = await prepare(m, prompts.get(n).text);
    const iters = iterations(n);
    const res = { bytes: s.bytes.length, iterations: iters, stages: {}, experiments: {}, app: {} };
    for (const st of [...stages(m, s), encodeStage(s)])
      res.stages[st.name] = { us: await time(st.fn, iters, st.async), sub: st.sub === true };
    for (const ex of experiments(m, s)) {
      ex.check();
      res.experiments[ex.name] = { us: await time(ex.fn, iters, ex.async), replaces: ex.replaces };
    }
    const loop = await appLoop(m, s);
    res.app.guard = await time(loop.guard, iters, true);
    res.app.floor = await time(loop.floor, iters, true);
    res.app.health = await time(loop.health, iters, true);
    if (loop.reserves() > 0) throw new Error("profile: some requests took the normal path");
    out[n] = res;
    process.stderr.write(`  ${sizeLabel(n)} done (${iters} iterations, body ${s.bytes.length} bytes)\n`);
  }
  report(out);
  const json = arg("json", "");
  if (json) writeFileSync(json, JSON.stringify({ node: process.version, sizes: SIZES, results: out }, null, 2));
  cleanup();
}

function report(out) {
  const sizes = Object.keys(out).map(Number);
  const names = Object.keys(out[sizes[0]].stages);
  const rows = names.map((nm) => [nm, ...sizes.map((n) => fmt(out[n].stages[nm].us))]);
  const sum = (n) =>
    names.filter((nm) => !out[n].stages[nm].sub && nm !== "encode upstream body (fetch)").reduce((a, nm) => a + out[n].stages[nm].us, 0);
  rows.push(["SUM of stages (excl. 'of which', fetch encode)", ...sizes.map((n) => fmt(sum(n)))]);
  rows.push(["app.fetch, whole request (Node)", ...sizes.map((n) => fmt(out[n].app.guard))]);
  rows.push(["floor: Request → fetch → Response (Node)", ...sizes.map((n) => fmt(out[n].app.floor))]);
  rows.push(["app.fetch − floor (Node)", ...sizes.map((n) => fmt(out[n].app.guard - out[n].app.floor))]);
  rows.push(["  of which outside the stages", ...sizes.map((n) => fmt(out[n].app.guard - out[n].app.floor - sum(n)))]);
  rows.push(["app.fetch GET /health (Hono + middleware)", ...sizes.map((n) => fmt(out[n].app.health))]);
  rows.push(["bench: guard − pass-through CPU (workerd)", ...sizes.map((n) => (BENCH_DELTA[n] ? fmt(BENCH_DELTA[n]) : "-"))]);
  rows.push(["target (issue 13)", ...sizes.map((n) => (TARGET[n] ? `≤ ${fmt(TARGET[n])}` : "-"))]);
  table("stage (µs per request)", rows, sizes);
  const exNames = Object.keys(out[sizes[0]].experiments);
  const exRows = [];
  for (const nm of exNames) {
    exRows.push([nm, ...sizes.map((n) => fmt(out[n].experiments[nm].us))]);
    exRows.push([
      "  saves",
      ...sizes.map((n) => {
        const e = out[n].experiments[nm];
        return fmt(e.replaces.reduce((a, r) => a + out[n].stages[r].us, 0) - e.us);
      }),
    ]);
  }
  table("experiment (µs per request)", exRows, sizes);
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
