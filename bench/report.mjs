/**
 * Turning runs into comparisons, target verdicts, stdout tables and the JSON
 * result file.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { sizeLabel } from "./prompts.mjs";
import { round } from "./stats.mjs";

/**
 * @typedef {import("./load.mjs").runLoad extends (...a: any) => Promise<infer R> ? R : never} LoadResult
 * @typedef {LoadResult & { size: number, sizeLabel: string, target: string, large: boolean, promptTokens: number, bodyBytes: number }} Run
 */

/** Targets of issue 8, in ms / ratios. */
export const GOALS = {
  guardIsolateP50SmallMs: 0.05,
  guardIsolateP50At1kMs: 0.25,
  guardIsolateP99Ms: 1,
  addedP50Ms: 1,
  addedP99Ms: 3,
  throughputRatio: 0.7,
  bundleGzipBytes: 3 * 1024 * 1024,
  comparisonConnections: 10,
};

/** @param {number} x @param {number} [d] */
export const f = (x, d = 3) => (x === null || x === undefined || !Number.isFinite(x) ? "—" : x.toFixed(d));
/** @param {number} x */
const signed = (x, d = 3) => (!Number.isFinite(x) ? "—" : (x >= 0 ? "+" : "") + x.toFixed(d));

/**
 * Renders rows as an aligned text table.
 * @param {string[]} head
 * @param {(string | number)[][]} rows
 * @param {string} [align] one char per column, l or r
 */
export function table(head, rows, align) {
  const cells = [head, ...rows.map((r) => r.map(String))];
  const w = head.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
  const fmt = (/** @type {string[]} */ r) =>
    r.map((c, i) => ((align?.[i] ?? (i < 3 ? "l" : "r")) === "l" ? c.padEnd(w[i]) : c.padStart(w[i]))).join("  ").trimEnd();
  return [fmt(head), w.map((n) => "-".repeat(n)).join("  "), ...rows.map((r) => fmt(r.map(String)))].join("\n");
}

/**
 * @param {Run[]} runs
 * @param {string} target
 * @param {number} size
 * @param {number} connections
 */
function find(runs, target, size, connections) {
  return runs.find((r) => r.target === target && r.size === size && r.connections === connections);
}

/**
 * Guard vs pass-through and Portkey vs direct, per size and connection level.
 * Added latency is a difference of percentiles (p50(guard) − p50(floor)),
 * not a percentile of per-request differences.
 * @param {Run[]} runs
 */
export function compare(runs) {
  const keys = [...new Set(runs.map((r) => `${r.size}|${r.connections}`))].map((k) => k.split("|").map(Number));
  return keys.map(([size, connections]) => {
    const g = find(runs, "guard", size, connections);
    const p = find(runs, "passthrough", size, connections);
    const k = find(runs, "portkey", size, connections);
    const d = find(runs, "direct", size, connections);
    const guardAdded = g && p ? { p50: g.latencyMs.p50 - p.latencyMs.p50, p99: g.latencyMs.p99 - p.latencyMs.p99, p999: g.latencyMs.p999 - p.latencyMs.p999 } : null;
    const portkeyAdded = k && d ? { p50: k.latencyMs.p50 - d.latencyMs.p50, p99: k.latencyMs.p99 - d.latencyMs.p99, p999: k.latencyMs.p999 - d.latencyMs.p999 } : null;
    return {
      size,
      sizeLabel: sizeLabel(size),
      connections,
      guardAddedMs: guardAdded,
      guardThroughputRatio: g && p ? g.rps / p.rps : null,
      guardCpuOverFloorUsPerReq: g && p ? g.serverCpuUsPerReq - p.serverCpuUsPerReq : null,
      portkeyAddedMs: portkeyAdded,
      portkeyThroughputRatio: k && d ? k.rps / d.rps : null,
      portkeyCpuUsPerReq: k ? k.serverCpuUsPerReq : null,
      guardVsPortkeyThroughput: g && k ? g.rps / k.rps : null,
      guardAddedLessThanPortkey: guardAdded && portkeyAdded ? { p50: guardAdded.p50 < portkeyAdded.p50, p99: guardAdded.p99 < portkeyAdded.p99 } : null,
    };
  });
}

/**
 * @typedef {{ id: string, target: string, status: "met" | "not met" | "inconclusive" | "not measured" | "reported", detail: string, values?: any }} Verdict
 */

/**
 * Evaluates the issue's targets against the measured figures. Reports; never asserts.
 * @param {{ runs: Run[], comparisons: ReturnType<typeof compare>, bundle: any, coldStart: any }} r
 * @returns {Verdict[]}
 */
export function verdicts({ runs, comparisons, bundle, coldStart }) {
  /** @type {Verdict[]} */
  const out = [];
  const sizes = [...new Set(runs.map((r) => r.size))].sort((a, b) => a - b);
  const guardRuns = runs.filter((r) => r.target === "guard");
  const lowestConn = (/** @type {number} */ size) => Math.min(...guardRuns.filter((r) => r.size === size).map((r) => r.connections));

  // 1. Guard time in the isolate.
  const st = guardRuns.flatMap((r) => (r.serverTiming.guard ? [r.serverTiming.guard] : []));
  const wholeMs = st.length > 0 && guardRuns.every((r) => !r.serverTiming.guard || (Number.isInteger(r.serverTiming.guard.p50) && Number.isInteger(r.serverTiming.guard.p99) && Number.isInteger(r.serverTiming.guard.max)));
  const resolution = wholeMs ? "Server-Timing guard;dur is reported in whole milliseconds here (workerd coarsens clocks), so 0 means < 1 ms, not ≤ 50 µs" : "";
  for (const size of sizes) {
    const c = lowestConn(size);
    const g = find(runs, "guard", size, c);
    const p = find(runs, "passthrough", size, c);
    if (!g) continue;
    const stg = g.serverTiming.guard;
    const cpuDiff = p ? g.serverCpuUsPerReq - p.serverCpuUsPerReq : NaN;
    const p50Goal = size < 1000 ? GOALS.guardIsolateP50SmallMs : size === 1000 ? GOALS.guardIsolateP50At1kMs : null;
    const label = `${sizeLabel(size)} tokens, ${c} conn`;
    if (p50Goal !== null) {
      const stVerdict = !stg ? "not measured" : stg.p50 > p50Goal ? "not met" : wholeMs ? "inconclusive" : "met";
      const cpuVerdict = Number.isFinite(cpuDiff) ? (cpuDiff / 1000 <= p50Goal ? "met" : "not met") : "not measured";
      out.push({
        id: `isolate-p50-${sizeLabel(size)}`,
        target: `guard time in isolate p50 ≤ ${p50Goal * 1000} µs (${label})`,
        status: stVerdict === "inconclusive" || stVerdict === "not measured" ? /** @type {any} */ (cpuVerdict) : /** @type {any} */ (stVerdict),
        detail:
          `Server-Timing guard p50 ${f(stg?.p50)} ms${stVerdict === "inconclusive" ? " (inconclusive at 1 ms resolution)" : ""}; ` +
          `CPU per request over the pass-through floor ${f(cpuDiff, 0)} µs (mean, includes the ledger object and body re-serialisation) → ${cpuVerdict}` +
          (Number.isFinite(cpuDiff) && cpuVerdict === "not met" ? ` by ${f(cpuDiff / 1000 / p50Goal, 1)}×` : ""),
        values: { serverTimingP50Ms: stg?.p50 ?? null, cpuOverFloorUsPerReq: round(cpuDiff, 1) },
      });
    }
    const stP99 = stg ? stg.p99 : NaN;
    out.push({
      id: `isolate-p99-${sizeLabel(size)}`,
      target: `guard time in isolate p99 ≤ 1 ms (${label})`,
      status: !stg ? "not measured" : stP99 <= GOALS.guardIsolateP99Ms ? "met" : "not met",
      detail: `Server-Timing guard p99 ${f(stP99)} ms, p99.9 ${f(stg?.p999)} ms, max ${f(stg?.max)} ms; CPU over floor ${f(cpuDiff, 0)} µs/req (mean)` + (stg && stP99 > 1 ? ` — ${f(stP99 / GOALS.guardIsolateP99Ms, 1)}× the target` : ""),
      values: { serverTimingP99Ms: stg?.p99 ?? null, cpuOverFloorUsPerReq: round(cpuDiff, 1) },
    });
  }
  if (resolution) out.push({ id: "isolate-clock", target: "Server-Timing clock resolution", status: "inconclusive", detail: resolution });

  // 2. Added latency and throughput at 10 connections.
  const connLevels = [...new Set(comparisons.map((c) => c.connections))];
  const cmpConn = connLevels.includes(GOALS.comparisonConnections) ? GOALS.comparisonConnections : connLevels.sort((a, b) => Math.abs(a - 10) - Math.abs(b - 10))[0];
  for (const c of comparisons.filter((x) => x.connections === cmpConn)) {
    const label = `${c.sizeLabel} tokens, ${c.connections} conn`;
    if (c.guardAddedMs) {
      const ok50 = c.guardAddedMs.p50 <= GOALS.addedP50Ms;
      const ok99 = c.guardAddedMs.p99 <= GOALS.addedP99Ms;
      out.push({
        id: `added-${c.sizeLabel}`,
        target: `added latency over pass-through p50 ≤ +1 ms, p99 ≤ +3 ms (${label})`,
        status: ok50 && ok99 ? "met" : "not met",
        detail: `p50 ${signed(c.guardAddedMs.p50)} ms${ok50 ? "" : ` (${f(c.guardAddedMs.p50 - GOALS.addedP50Ms)} ms over)`}, p99 ${signed(c.guardAddedMs.p99)} ms${ok99 ? "" : ` (${f(c.guardAddedMs.p99 - GOALS.addedP99Ms)} ms over)`}`,
        values: { addedP50Ms: round(c.guardAddedMs.p50), addedP99Ms: round(c.guardAddedMs.p99) },
      });
    }
    if (c.guardThroughputRatio !== null) {
      out.push({
        id: `throughput-${c.sizeLabel}`,
        target: `throughput ≥ 0.7× pass-through (${label})`,
        status: c.guardThroughputRatio >= GOALS.throughputRatio ? "met" : "not met",
        detail: `${f(c.guardThroughputRatio, 2)}× (guard ${f(find(runs, "guard", c.size, c.connections)?.rps ?? NaN, 0)} req/s vs ${f(find(runs, "passthrough", c.size, c.connections)?.rps ?? NaN, 0)} req/s)`,
        values: { ratio: round(c.guardThroughputRatio, 3) },
      });
    }
  }

  // 3. Against Portkey, every cell.
  const cells = comparisons.filter((c) => c.guardAddedMs && c.portkeyAddedMs);
  if (cells.length) {
    const lat50 = cells.filter((c) => /** @type {any} */ (c.guardAddedLessThanPortkey).p50).length;
    const lat99 = cells.filter((c) => /** @type {any} */ (c.guardAddedLessThanPortkey).p99).length;
    const thr = cells.filter((c) => /** @type {number} */ (c.guardVsPortkeyThroughput) >= 1).length;
    const worst = (/** @type {(c: any) => number} */ by) => cells.reduce((a, b) => (by(b) > by(a) ? b : a));
    const w50 = worst((c) => c.guardAddedMs.p50 - c.portkeyAddedMs.p50);
    const wthr = cells.reduce((a, b) => (/** @type {number} */ (b.guardVsPortkeyThroughput) < /** @type {number} */ (a.guardVsPortkeyThroughput) ? b : a));
    out.push({
      id: "vs-portkey-latency",
      target: "guard's added latency over its floor < Portkey's over direct (every size × connections)",
      status: lat50 === cells.length && lat99 === cells.length ? "met" : "not met",
      detail: `p50 smaller in ${lat50}/${cells.length} cells, p99 in ${lat99}/${cells.length}; worst p50 cell ${w50.sizeLabel}×${w50.connections}: guard ${signed(/** @type {any} */ (w50.guardAddedMs).p50)} ms vs Portkey ${signed(/** @type {any} */ (w50.portkeyAddedMs).p50)} ms`,
      values: { p50Cells: lat50, p99Cells: lat99, cells: cells.length },
    });
    out.push({
      id: "vs-portkey-throughput",
      target: "guard throughput ≥ Portkey's (every size × connections)",
      status: thr === cells.length ? "met" : "not met",
      detail: `guard ≥ Portkey in ${thr}/${cells.length} cells; worst ${wthr.sizeLabel}×${wthr.connections}: ${f(/** @type {number} */ (wthr.guardVsPortkeyThroughput), 2)}×`,
      values: { cellsMet: thr, cells: cells.length },
    });
  }

  // 4. Cold start and bundle.
  if (coldStart) {
    out.push({
      id: "cold-start-tokenizer",
      target: "no tokenizer construction on the common path (cold start)",
      status: coldStart.tokenizer.constructedOnCommonPath.startsWith("no") ? "met" : "not met",
      detail: `worst first LLM request after start ${f(coldStart.tokenizer.worstFirstLlmRequestMs, 1)} ms, workerd RSS growth ${f(coldStart.tokenizer.worstFirstRequestRssDeltaMiB, 1)} MiB (constructing o200k costs ~1.1 s and ~67 MB)`,
    });
  }
  if (bundle) {
    out.push({
      id: "bundle-gzip",
      target: "bundle gzip < 3 MB (Workers free plan)",
      status: bundle.gzipBytes < GOALS.bundleGzipBytes ? "met" : "not met",
      detail: `${f(bundle.gzipBytes / 1048576, 2)} MiB gzip (${f(bundle.rawBytes / 1048576, 2)} MiB raw)${bundle.wranglerReported ? `; wrangler reports ${bundle.wranglerReported.gzipKiB} KiB gzip` : ""}`,
    });
  }
  return out;
}

/**
 * The main results table: one row per size × connections × target.
 * @param {Run[]} runs
 */
export function runsTable(runs) {
  const rows = runs.map((r) => {
    const st = r.serverTiming;
    const pair = (/** @type {any} */ s) => (s ? `${f(s.p50, s.p50 % 1 ? 3 : 0)}/${f(s.p99, s.p99 % 1 ? 3 : 0)}` : "");
    return [
      r.sizeLabel,
      String(r.connections),
      r.target,
      String(r.ok),
      f(r.rps, 0),
      f(r.latencyMs.p50),
      f(r.latencyMs.p99) + (r.ok < 100 ? "*" : ""),
      f(r.latencyMs.p999) + (r.ok < 1000 ? "*" : ""),
      f(r.serverCpuUsPerReq, 0),
      r.target === "direct" ? "(same)" : f(r.upstreamCpuUsPerReq, 0),
      String(r.non2xx + r.errors),
      pair(st.guard),
      pair(st.ledger),
      pair(st.upstream),
      f(r.foreignCpuPct, 0),
    ];
  });
  return table(
    ["size", "conn", "target", "ok", "req/s", "p50 ms", "p99 ms", "p99.9 ms", "srv CPU µs/req", "upstr CPU µs/req", "err", "ST guard p50/p99", "ST ledger p50/p99", "ST upstr p50/p99", "other CPU %"],
    rows,
    "lllrrrrrrrrrrrr",
  );
}

/**
 * Added latency and ratios per size × connections.
 * @param {ReturnType<typeof compare>} comparisons
 */
export function comparisonTable(comparisons) {
  const rows = comparisons.map((c) => [
    c.sizeLabel,
    String(c.connections),
    c.guardAddedMs ? signed(c.guardAddedMs.p50) : "—",
    c.guardAddedMs ? signed(c.guardAddedMs.p99) : "—",
    c.guardThroughputRatio !== null ? f(c.guardThroughputRatio, 2) + "×" : "—",
    c.guardCpuOverFloorUsPerReq !== null ? signed(c.guardCpuOverFloorUsPerReq, 0) : "—",
    c.portkeyAddedMs ? signed(c.portkeyAddedMs.p50) : "—",
    c.portkeyAddedMs ? signed(c.portkeyAddedMs.p99) : "—",
    c.portkeyThroughputRatio !== null ? f(c.portkeyThroughputRatio, 2) + "×" : "—",
    c.guardVsPortkeyThroughput !== null ? f(c.guardVsPortkeyThroughput, 2) + "×" : "—",
  ]);
  return table(
    ["size", "conn", "guard+ p50 ms", "guard+ p99 ms", "guard/pt req/s", "guard CPU over pt µs/req", "portkey+ p50 ms", "portkey+ p99 ms", "portkey/direct req/s", "guard/portkey req/s"],
    rows,
    "llrrrrrrrr",
  );
}

/**
 * @param {Verdict[]} vs
 */
export function verdictLines(vs) {
  const mark = { met: "MET", "not met": "NOT MET", inconclusive: "INCONCLUSIVE", "not measured": "NOT MEASURED", reported: "REPORTED" };
  return vs.map((v) => `  [${mark[v.status].padEnd(12)}] ${v.target}\n                 ${v.detail}`).join("\n");
}

/**
 * Rounds every float in a run to keep the JSON readable.
 * @param {any} x
 * @returns {any}
 */
export function tidy(x) {
  if (typeof x === "number") return Number.isInteger(x) ? x : round(x, 4);
  if (Array.isArray(x)) return x.map(tidy);
  if (x && typeof x === "object") return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, tidy(v)]));
  return x;
}

/**
 * Writes JSON, creating the directory.
 * @param {string} path
 * @param {unknown} data
 */
export function writeJson(path, data) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(data, null, 2) + "\n");
}

/**
 * The global-limit scenario (issue 7): one row per phase (pooled turns), then one per turn, then summary lines.
 * @param {any} g  the `global` result of bench/global.mjs
 */
export function globalReport(g) {
  const callsCell = (/** @type {any} */ c) => (c ? `${c.total} (${c.acquire}/${c.release}/${c.revoke})` : "reset");
  const per1k = (/** @type {number | null} */ x) => (x === null || x === undefined ? "—" : f(x, 2));
  const st = (/** @type {any} */ s) => (s ? `${s.p50}/${s.p99}` : "");
  const row = (/** @type {string} */ name, /** @type {any} */ r) => [
    name,
    String(r.ok),
    f(r.rps, 0),
    f(r.latencyMs.p50),
    f(r.latencyMs.p99) + (r.ok < 100 ? "*" : ""),
    f(r.latencyMs.p999) + (r.ok < 1000 ? "*" : ""),
    f(r.serverCpuUsPerReq, 0),
    st(r.serverTiming?.ledger),
    callsCell(r.calls),
    per1k(r.callsPer1kRequests),
    String(r.non2xx + r.errors),
    f(r.foreignCpuPct, 0),
  ];
  const rows = [
    row(`${g.phases.A.label} (pooled)`, g.phases.A),
    row(`${g.phases.B.label} (pooled)`, g.phases.B),
    ...g.turns.map((/** @type {any} */ t) => row(`  turn ${t.phase}${t.round}`, t)),
  ];
  const c = g.comparison;
  const signedMs = (/** @type {number} */ x) => (x >= 0 ? "+" : "") + f(x);
  const lines = [
    table(["phase", "ok", "req/s", "p50 ms", "p99 ms", "p99.9 ms", "srv CPU µs/req", "ST ledger p50/p99", "GlobalLedger calls (acq/rel/rev)", "calls /1k req", "err", "other CPU %"], rows, "lrrrrrrrrrrr"),
    `  B vs A: p50 ${signedMs(c.p50AddedMs)} ms (${f(c.p50Ratio, 3)}×), p99 ${signedMs(c.p99AddedMs)} ms (${f(c.p99Ratio, 3)}×), req/s ${f(c.rpsRatio, 2)}×, workerd CPU ${c.cpuUsPerReqAdded >= 0 ? "+" : ""}${f(c.cpuUsPerReqAdded, 0)} µs/req`,
    `  GlobalLedger calls per 1,000 requests at steady state: B (global limit) ${per1k(g.phases.B.callsPer1kRequests)} = ${f(g.phases.B.callsPerSecond, 2)}/s, ${f(g.phases.B.callsPerTenantMinute, 2)} per tenant-minute; A (no limit) ${per1k(g.phases.A.callsPer1kRequests)} = ${f(g.phases.A.callsPerSecond, 2)}/s`,
    `    expected from the lease timing alone: B ≈ ${per1k(g.expectedCallsPer1kRequests.B)} (${g.tenants} tenants, one lease renewal per ~${g.leaseRefreshSeconds} s each, so a ${g.leaseRefreshSeconds} s turn sees each once); A ≈ ${per1k(g.expectedCallsPer1kRequests.A)} in the long run (each tenant re-asks "is there a limit?" every 10 s, so a ${g.turnSeconds} s turn sees ${Math.floor(g.turnSeconds / 10)}–${Math.ceil(g.turnSeconds / 10)} of those per tenant)` +
      (g.coversLeaseRefresh ? "" : `\n    NOTE: turns of ${g.turnSeconds} s are shorter than one lease renewal period (~${g.leaseRefreshSeconds} s), so B's count misses the renewals: not a steady-state figure (use the default --global-duration)`),
    ...(g.phases.A.globalLedgerRestarts || g.phases.B.globalLedgerRestarts
      ? [`  the GlobalLedger restarted during measured turns (A ${g.phases.A.globalLedgerRestarts}×, B ${g.phases.B.globalLedgerRestarts}×): its counters were summed across the restarts`]
      : []),
    `  a new limit reached every tenant (all ${g.tenants} holding a lease) ${g.allTenantsLeasedAfterPutMs.map((/** @type {number | null} */ ms) => (ms === null ? "never (gave up)" : `${f(ms / 1000, 1)} s`)).join(", ")} after the PUT (tenants that learnt "no limit" ask again only after 10 s; resolution ~1 s)` +
      (g.revocationPutMs.length ? `; PUT /global revoking ${g.revocationPutMs.map((/** @type {any} */ r) => `${r.leases} leases took ${f(r.ms, 1)} ms`).join(", ")}` : ""),
    `  ${g.tenants} tenants round-robin, ${g.connections} connections, ${g.size}-token prompt, ${g.turnSeconds} s per turn, ${g.rounds} A/B pairs; B's daily limit $${Number(g.dailyLimitUsd).toLocaleString("en-US")}, lease cap $${g.leaseCapUsd}; after the run: daily spent $${f(g.final.dailySpentUsd, 4)}, outstanding leases $${f(g.final.dailyOutstandingUsd, 2)} (${g.final.leases} leases)`,
  ];
  const v = g.verdict;
  if (v) {
    const mark = { met: "met", "not met": "not met", inconclusive: "inconclusive", "not measured": "not measured" };
    lines.push(`  global limit within 10% of no limit: ${mark[/** @type {"met"} */ (v.status)]} (${v.detail})`);
  }
  return lines.join("\n");
}
