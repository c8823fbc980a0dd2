/**
 * Issue 13's figures per scenario and cell, its targets as verdicts, and the
 * table that prints them. Scenarios: `hot` (the matrix: one user key, every
 * size × connections) and `quiet` (many users round-robin, one cell). Every
 * figure compares the guard with the pass-through of the same cell and run.
 */
import { quietVerdicts } from "./baseline.mjs";
import { sizeLabel } from "./prompts.mjs";
import { f, table } from "./report.mjs";

/**
 * The targets table of issue 13, hot subject, by prompt size (tokens); null = report only.
 * Throughput at 10 connections, added latency at 1, CPU at the lowest level measured, RPCs and rows at 100 tokens.
 */
export const GOALS13 = {
  throughputRatio: { 100: 0.8, 1000: 0.7, 10000: 0.5, 100000: null },
  addedMs: { 100: { p50: 0.5, p99: 2 }, 1000: { p50: 1, p99: 3 }, 10000: null, 100000: null },
  cpuOverPtUs: { 100: 300, 1000: 600, 10000: 3000, 100000: 10000 },
  rpcsPerRequest: { 100: 0.02 },
  rowsPerRequest: { 100: 1 },
  throughputConnections: 10,
  latencyConnections: 1,
};

/**
 * @typedef {object} ScenarioRow
 * @property {string} scenario
 * @property {number} size
 * @property {string} sizeLabel
 * @property {number} connections
 * @property {number} guardRps
 * @property {number} passthroughRps
 * @property {number} throughputRatio  guard req/s ÷ pass-through req/s
 * @property {number} addedP50Ms
 * @property {number} addedP99Ms
 * @property {number} cpuOverPtUs      guard workerd CPU per request − pass-through's
 * @property {number | null} rpcsPerRequest  tenant-object RPCs in the guard's measured turns ÷ requests served in them
 * @property {number | null} rowsPerRequest  rows its SQLite wrote in them ÷ requests
 * @property {number | null} ledgerRequests  requests behind the two figures above
 * @property {string | null} ledgerNote      why they are missing, or that the object restarted
 * @property {number} foreignCpuPct    the larger of the two runs' `other CPU %` (how busy the machine was)
 */

/**
 * One row per scenario × size × connections that has both a guard and a pass-through run.
 * @param {import("./report.mjs").Run[]} runs every run, each with `scenario` (absent = hot)
 * @returns {ScenarioRow[]}
 */
export function scenarioRows(runs) {
  /** @type {ScenarioRow[]} */
  const out = [];
  const of = (/** @type {any} */ r) => r.scenario ?? "hot";
  const keys = [...new Set(runs.map((r) => `${of(r)}|${r.size}|${r.connections}`))];
  for (const k of keys) {
    const [scenario, size, connections] = [k.split("|")[0], Number(k.split("|")[1]), Number(k.split("|")[2])];
    const pick = (/** @type {string} */ target) =>
      /** @type {any} */ (runs.find((r) => of(r) === scenario && r.size === size && r.connections === connections && r.target === target));
    const g = pick("guard");
    const p = pick("passthrough");
    if (!g || !p) continue;
    const l = g.ledger;
    const ok = l && !l.unavailable;
    out.push({
      scenario,
      size,
      sizeLabel: sizeLabel(size),
      connections,
      guardRps: g.rps,
      passthroughRps: p.rps,
      throughputRatio: g.rps / p.rps,
      addedP50Ms: g.latencyMs.p50 - p.latencyMs.p50,
      addedP99Ms: g.latencyMs.p99 - p.latencyMs.p99,
      cpuOverPtUs: g.serverCpuUsPerReq - p.serverCpuUsPerReq,
      rpcsPerRequest: ok ? l.rpcsPerRequest : null,
      rowsPerRequest: ok ? l.rowsPerRequest : null,
      ledgerRequests: ok ? l.requests : null,
      ledgerNote: !l
        ? "not read"
        : l.unavailable
          ? l.unavailable
          : l.restarts
            ? `the object restarted in ${l.restarts} turn(s): counted from its restart`
            : null,
      foreignCpuPct: Math.max(g.foreignCpuPct, p.foreignCpuPct),
    });
  }
  return out;
}

/** @param {number} x @param {number} [d] */
const signed = (x, d = 3) => (!Number.isFinite(x) ? "—" : (x >= 0 ? "+" : "") + x.toFixed(d));

/**
 * The per-scenario table.
 * @param {ScenarioRow[]} rows
 */
export function scenarioTable(rows) {
  return table(
    [
      "scenario",
      "size",
      "conn",
      "guard req/s",
      "pt req/s",
      "guard/pt req/s",
      "added p50 ms",
      "added p99 ms",
      "CPU over pt µs/req",
      "RPCs/req",
      "rows/req",
      "requests counted",
      "other CPU %",
    ],
    rows.map((r) => [
      r.scenario,
      r.sizeLabel,
      String(r.connections),
      f(r.guardRps, 0),
      f(r.passthroughRps, 0),
      f(r.throughputRatio, 2) + "×",
      signed(r.addedP50Ms),
      signed(r.addedP99Ms),
      signed(r.cpuOverPtUs, 0),
      r.rpcsPerRequest === null ? "—" : f(r.rpcsPerRequest, 3),
      r.rowsPerRequest === null ? "—" : f(r.rowsPerRequest, 2),
      r.ledgerRequests === null ? "—" : String(r.ledgerRequests),
      f(r.foreignCpuPct, 0),
    ]),
    "lllrrrrrrrrrr",
  );
}

/**
 * @param {number} value @param {number} goal @param {"max" | "min"} kind @param {(x: number) => string} fmt
 * @returns {{ status: "met" | "not met" | "not measured", text: string }}
 */
function judge(value, goal, kind, fmt) {
  if (value === null || !Number.isFinite(value)) return { status: "not measured", text: "not measured" };
  const ok = kind === "max" ? value <= goal : value >= goal;
  if (ok) return { status: "met", text: `${fmt(value)} (target ${kind === "max" ? "≤" : "≥"} ${fmt(goal)})` };
  const by =
    kind === "max"
      ? `${fmt(value - goal)} over, ${f(value / goal, 1)}× the target`
      : `${f(goal - value, 2)} short, ${f(goal / value, 1)}× below`;
  return { status: "not met", text: `${fmt(value)} vs ${kind === "max" ? "≤" : "≥"} ${fmt(goal)} — ${by}` };
}

/** @param {...{ status: string }} parts */
const worst = (...parts) =>
  parts.some((p) => p.status === "not met") ? "not met" : parts.some((p) => p.status === "not measured") ? "not measured" : "met";

/**
 * Issue 13's targets as verdicts: the hot-subject table, then the quiet
 * scenario against the baseline (if one is given).
 * @param {ScenarioRow[]} rows
 * @param {ScenarioRow[] | null} baselineQuiet the baseline run's quiet rows
 * @param {string | null} baselineName
 * @returns {import("./report.mjs").Verdict[]}
 */
export function verdicts13(rows, baselineQuiet, baselineName) {
  /** @type {import("./report.mjs").Verdict[]} */
  const out = [];
  const hot = rows.filter((r) => r.scenario === "hot");
  const cell = (/** @type {number} */ size, /** @type {number} */ conn) => hot.find((r) => r.size === size && r.connections === conn);
  const lowest = (/** @type {number} */ size) => hot.filter((r) => r.size === size).sort((a, b) => a.connections - b.connections)[0];
  const ms = (/** @type {number} */ x) => `${signed(x, 3)} ms`;
  const us = (/** @type {number} */ x) => `${f(x, 0)} µs`;
  const x2 = (/** @type {number} */ x) => `${f(x, 2)}×`;
  const sizes = Object.keys(GOALS13.cpuOverPtUs).map(Number);
  if (hot.length) {
    for (const size of sizes) {
      const label = `hot subject, ${sizeLabel(size)} tokens`;
      const tGoal = /** @type {Record<number, number | null>} */ (GOALS13.throughputRatio)[size];
      const t = cell(size, GOALS13.throughputConnections);
      if (tGoal !== null) {
        const j = judge(t ? t.throughputRatio : NaN, tGoal, "min", x2);
        out.push({
          id: `i13-throughput-${sizeLabel(size)}`,
          target: `guard req/s ≥ ${tGoal}× pass-through (${label}, ${GOALS13.throughputConnections} conn)`,
          status: j.status,
          detail: t
            ? `${j.text} (guard ${f(t.guardRps, 0)} req/s, pass-through ${f(t.passthroughRps, 0)})`
            : `not measured (no ${sizeLabel(size)} × ${GOALS13.throughputConnections} cell in this run)`,
        });
      } else if (t)
        out.push({
          id: `i13-throughput-${sizeLabel(size)}`,
          target: `guard req/s ÷ pass-through (${label}, ${GOALS13.throughputConnections} conn)`,
          status: "reported",
          detail: `${x2(t.throughputRatio)} (guard ${f(t.guardRps, 0)} req/s, pass-through ${f(t.passthroughRps, 0)})`,
        });
      const aGoal = /** @type {Record<number, { p50: number, p99: number } | null>} */ (GOALS13.addedMs)[size];
      const a = cell(size, GOALS13.latencyConnections);
      if (aGoal) {
        const j50 = judge(a ? a.addedP50Ms : NaN, aGoal.p50, "max", ms);
        const j99 = judge(a ? a.addedP99Ms : NaN, aGoal.p99, "max", ms);
        out.push({
          id: `i13-added-${sizeLabel(size)}`,
          target: `added latency over the pass-through p50 ≤ +${aGoal.p50} ms, p99 ≤ +${aGoal.p99} ms (${label}, ${GOALS13.latencyConnections} conn)`,
          status: worst(j50, j99),
          detail: a
            ? `p50 ${j50.text}; p99 ${j99.text}`
            : `not measured (no ${sizeLabel(size)} × ${GOALS13.latencyConnections} cell in this run)`,
        });
      } else if (a)
        out.push({
          id: `i13-added-${sizeLabel(size)}`,
          target: `added latency over the pass-through (${label}, ${GOALS13.latencyConnections} conn)`,
          status: "reported",
          detail: `p50 ${ms(a.addedP50Ms)}, p99 ${ms(a.addedP99Ms)}`,
        });
      const cGoal = /** @type {Record<number, number>} */ (GOALS13.cpuOverPtUs)[size];
      const c = lowest(size);
      const jc = judge(c ? c.cpuOverPtUs : NaN, cGoal, "max", us);
      out.push({
        id: `i13-cpu-${sizeLabel(size)}`,
        target: `CPU over the pass-through ≤ ${us(cGoal)} per request (${label}${c ? `, ${c.connections} conn` : ""})`,
        status: jc.status,
        detail: c ? jc.text : `not measured (${sizeLabel(size)} not in this run's sizes)`,
      });
    }
    for (const [what, key, goal, d] of /** @type {const} */ ([
      ["RPCs to the tenant object", "rpcsPerRequest", GOALS13.rpcsPerRequest[100], 3],
      ["rows written", "rowsPerRequest", GOALS13.rowsPerRequest[100], 2],
    ])) {
      const cells = hot.filter((r) => r.size === 100);
      if (!cells.length)
        out.push({
          id: `i13-${key}`,
          target: `${what} per request ≤ ${goal} (hot subject, 100 tokens)`,
          status: "not measured",
          detail: "no 100-token cell in this run",
        });
      for (const r of cells) {
        const j = judge(/** @type {number} */ (r[key] ?? NaN), goal, "max", (x) => f(x, d));
        out.push({
          id: `i13-${key}-${r.connections}`,
          target: `${what} per request ≤ ${goal} (hot subject, 100 tokens, ${r.connections} conn)`,
          status: j.status,
          detail: r[key] === null ? `not measured: ${r.ledgerNote}` : `${j.text} (${r.ledgerRequests} requests counted)`,
        });
      }
    }
  }
  out.push(...quietVerdicts(rows, baselineQuiet, baselineName));
  return out;
}
