/**
 * Issue 13's "many quiet subjects: no regression against today": the quiet
 * scenario's row compared with the same row of a saved run (`--baseline`),
 * within tolerances, and reading that baseline.
 */
import { readFileSync } from "node:fs";
import { f } from "./report.mjs";

/**
 * Tolerances of the quiet scenario's "no regression against the baseline" (worse by more than this is a regression).
 * `busyPct`: above this `other CPU %` in either run, a timing regression is inconclusive (RPCs and rows do not depend on load).
 */
export const QUIET_TOLERANCE = {
  ratioFactor: 0.9,
  latencyFactor: 1.1,
  latencyMs: 1,
  cpuFactor: 1.1,
  cpuUs: 100,
  rpcs: 0.05,
  rows: 0.5,
  busyPct: 25,
};

/** @param {number} x @param {number} [d] */
const signed = (x, d = 3) => (!Number.isFinite(x) ? "—" : (x >= 0 ? "+" : "") + x.toFixed(d));
const ms = (/** @type {number} */ x) => `${signed(x, 3)} ms`;
const x2 = (/** @type {number} */ x) => `${f(x, 2)}×`;

/**
 * One verdict per quiet row: met, not met (by which figures), inconclusive
 * (timing worse on a busy machine), or reported (no baseline row to compare with).
 * @param {import("./scenarios.mjs").ScenarioRow[]} rows
 * @param {import("./scenarios.mjs").ScenarioRow[] | null} baselineQuiet the baseline run's quiet rows
 * @param {string | null} baselineName
 * @returns {import("./report.mjs").Verdict[]}
 */
export function quietVerdicts(rows, baselineQuiet, baselineName) {
  /** @type {import("./report.mjs").Verdict[]} */
  const out = [];
  const quiet = rows.filter((r) => r.scenario === "quiet");
  for (const q of quiet) {
    const figures = `req/s ${x2(q.throughputRatio)}, added p50 ${ms(q.addedP50Ms)} / p99 ${ms(q.addedP99Ms)}, CPU over pt ${signed(q.cpuOverPtUs, 0)} µs/req, ${q.rpcsPerRequest === null ? "RPCs —" : `${f(q.rpcsPerRequest, 3)} RPCs/req`}, ${q.rowsPerRequest === null ? "rows —" : `${f(q.rowsPerRequest, 2)} rows/req`}`;
    const b = baselineQuiet?.find((x) => x.size === q.size && x.connections === q.connections);
    const target = `many quiet subjects: no regression against the baseline (${q.sizeLabel} tokens, ${q.connections} conn)`;
    if (!b) {
      out.push({
        id: "i13-quiet",
        target,
        status: "reported",
        detail: `${figures}; ${baselineName ? `the baseline ${baselineName} has no quiet cell like it` : "no --baseline given: figures reported only"}`,
      });
      continue;
    }
    const T = QUIET_TOLERANCE;
    /** Timing figures (load-sensitive) and counted ones (not). @type {string[]} */
    const worse = [];
    /** @type {string[]} */
    const worseCounted = [];
    if (q.throughputRatio < b.throughputRatio * T.ratioFactor)
      worse.push(`req/s ratio ${x2(q.throughputRatio)} < ${x2(b.throughputRatio)} × ${T.ratioFactor}`);
    if (q.addedP50Ms > b.addedP50Ms * T.latencyFactor + T.latencyMs)
      worse.push(`added p50 ${ms(q.addedP50Ms)} > ${ms(b.addedP50Ms)} × ${T.latencyFactor} + ${T.latencyMs} ms`);
    if (q.addedP99Ms > b.addedP99Ms * T.latencyFactor + T.latencyMs)
      worse.push(`added p99 ${ms(q.addedP99Ms)} > ${ms(b.addedP99Ms)} × ${T.latencyFactor} + ${T.latencyMs} ms`);
    if (q.cpuOverPtUs > b.cpuOverPtUs * T.cpuFactor + T.cpuUs)
      worse.push(`CPU ${f(q.cpuOverPtUs, 0)} µs > ${f(b.cpuOverPtUs, 0)} × ${T.cpuFactor} + ${T.cpuUs}`);
    if (q.rpcsPerRequest !== null && b.rpcsPerRequest !== null && q.rpcsPerRequest > b.rpcsPerRequest + T.rpcs)
      worseCounted.push(`RPCs/req ${f(q.rpcsPerRequest, 3)} > ${f(b.rpcsPerRequest, 3)} + ${T.rpcs}`);
    if (q.rowsPerRequest !== null && b.rowsPerRequest !== null && q.rowsPerRequest > b.rowsPerRequest + T.rows)
      worseCounted.push(`rows/req ${f(q.rowsPerRequest, 2)} > ${f(b.rowsPerRequest, 2)} + ${T.rows}`);
    const bFig = `baseline ${baselineName}: req/s ${x2(b.throughputRatio)}, p50 ${ms(b.addedP50Ms)} / p99 ${ms(b.addedP99Ms)}, CPU ${signed(b.cpuOverPtUs, 0)} µs/req, ${b.rpcsPerRequest === null ? "RPCs —" : f(b.rpcsPerRequest, 3)}, ${b.rowsPerRequest === null ? "rows —" : f(b.rowsPerRequest, 2)}`;
    const busy = Math.max(q.foreignCpuPct ?? 0, b.foreignCpuPct ?? 0);
    const noisy = worse.length > 0 && busy > T.busyPct;
    const status = worseCounted.length ? "not met" : worse.length ? (noisy ? "inconclusive" : "not met") : "met";
    const all = [...worseCounted, ...worse];
    const note = noisy
      ? `; the machine was busy (other processes up to ${f(busy, 0)}% of a core in this run or the baseline's): timing differences this size are within its noise, rerun both on a quiet machine`
      : "";
    out.push({ id: "i13-quiet", target, status, detail: `${figures}; ${bFig}${all.length ? `; worse: ${all.join("; ")}` : ""}${note}` });
  }
  return out;
}

/**
 * The quiet rows of a saved result (for --baseline).
 * @param {string} path
 * @returns {import("./scenarios.mjs").ScenarioRow[]}
 */
export function baselineQuietRows(path) {
  const r = JSON.parse(readFileSync(path, "utf8"));
  const rows = /** @type {import("./scenarios.mjs").ScenarioRow[]} */ (r.scenarios?.rows ?? []);
  if (!rows.length)
    throw new Error(`--baseline ${path}: the file has no issue-13 scenario rows (a run from before the scenarios existed?)`);
  return rows.filter((x) => x.scenario === "quiet");
}
