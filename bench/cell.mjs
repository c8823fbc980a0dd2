/**
 * One cell of a load matrix: the targets take turns on the same prompt and
 * connection level, each turn bounded in time, and each target's turns are
 * pooled. A target that names a ledger-stats reader also gets the RPCs and
 * rows its tenant object served in its measured turns (issue 13).
 */
import { ledgerWindow, poolWindows } from "./ledger-stats.mjs";
import { mergeLoads, runLoad, withoutRaw } from "./load.mjs";
import { interrupted, waitIdle } from "./procs.mjs";
import { chatBody, sizeLabel } from "./prompts.mjs";
import { f } from "./report.mjs";

/** @param {string} s */
const say = (s) => process.stdout.write(s + "\n");

/**
 * A target of a cell: a {@link import("./targets.mjs").Target}, optionally with
 * rotating header sets (e.g. one user per request) and its tenant object's counters.
 * @typedef {import("./targets.mjs").Target & { headerSets?: Record<string, string>[], headerCursor?: { i: number }, ledgerStats?: import("./ledger-stats.mjs").LedgerStatsReader }} CellTarget
 */

/**
 * One cell of the matrix: the targets take turns (round-robin, `opts.rounds`
 * times, each turn `duration / rounds` seconds, a warm-up before each
 * target's first turn); a turn during which Miniflare restarted the runtime
 * is discarded and run again once. Returns one pooled run per target.
 *
 * Ledger counters are read after the target and the upstream are idle (the
 * guard settles in `waitUntil`, after the response), right before and after
 * the measured turn — the latter once they stopped moving (see
 * {@link settledStats}) — so warm-ups and other targets' turns are outside
 * the window.
 * @param {{ opts: import("./options.mjs").BenchOptions, upstreamPid: number, counter: { i: number, total: number }, targets: CellTarget[], size: number, prompt: import("./prompts.mjs").Prompt, connections: number, duration: number, large: boolean, scenario?: string }} o
 * @returns {Promise<import("./report.mjs").Run[]>}
 */
export async function runCell({ opts, upstreamPid, counter, targets, size, prompt, connections, duration, large, scenario }) {
  /** @type {Map<string, { parts: any[], discarded: any[], drains: number[], ledger: import("./ledger-stats.mjs").LedgerWindow[] }>} */
  const cell = new Map(targets.map((t) => [t.name, { parts: [], discarded: [], drains: [], ledger: [] }]));
  for (let round = 0; round < opts.rounds; round++) {
    for (const t of targets) {
      if (interrupted().aborted) throw interrupted().reason;
      const c = /** @type {{ parts: any[], discarded: any[], drains: number[], ledger: any[] }} */ (cell.get(t.name));
      const body = chatBody(t.model, prompt.text, opts.maxTokens);
      const common = {
        url: t.url,
        path: t.path,
        headers: t.headers,
        headerSets: t.headerSets,
        headerCursor: t.headerCursor,
        body,
        connections,
        timeoutSec: opts.timeout,
      };
      const idlePids = () => [...t.serverPids(), upstreamPid];
      for (let attempt = 1; ; attempt++) {
        if (opts.warmup > 0 && (round === 0 || attempt > 1)) {
          await runLoad({ ...common, durationSec: opts.warmup });
          await waitIdle(idlePids);
        }
        const before = t.ledgerStats ? await t.ledgerStats.read() : null;
        const res = await runLoad({
          ...common,
          durationSec: duration / opts.rounds,
          serverTiming: !!t.serverTiming,
          serverPids: t.serverPids,
          restarts: t.restarts,
          upstreamPids: [upstreamPid],
        });
        const drain = await waitIdle(idlePids);
        const after = t.ledgerStats && before ? await settledStats(t.ledgerStats) : null;
        c.drains.push(drain.waitedMs);
        if (!res.restarted || attempt >= 2) {
          c.parts.push(res);
          if (before && after && t.ledgerStats)
            // Per request sent: the requests still in flight when the turn stopped (≤ 1 per connection) reach the guard too.
            c.ledger.push(ledgerWindow(before, after, t.ledgerStats.selfRpcs, Math.max(res.sent ?? 0, res.responses)));
          break;
        }
        // Miniflare restarted a crashed workerd during the run (its pid changed): discard the turn and run it once more.
        say(
          `  ${t.name}: the Workers runtime restarted during this run (pid now ${t.serverPids().join(",") || "?"}); discarding it and running again`,
        );
        c.discarded.push({ reason: "workers runtime restarted during the run", round, ...withoutRaw(res) });
        await waitReady(t);
      }
    }
  }
  /** @type {import("./report.mjs").Run[]} */
  const out = [];
  for (const t of targets) {
    counter.i++;
    const c = /** @type {{ parts: any[], discarded: any[], drains: number[], ledger: any[] }} */ (cell.get(t.name));
    const res = mergeLoads(c.parts);
    const ledger = t.ledgerStats
      ? t.ledgerStats.unavailable
        ? { unavailable: t.ledgerStats.unavailable }
        : poolWindows(c.ledger)
      : undefined;
    const run = {
      ...(scenario ? { scenario } : {}),
      size,
      sizeLabel: sizeLabel(size),
      promptTokens: prompt.tokens,
      bodyBytes: Buffer.byteLength(chatBody(t.model, prompt.text, opts.maxTokens)),
      target: t.name,
      large,
      ...withoutRaw(res),
      ...(ledger !== undefined ? { ledger } : {}),
      drainMsMax: Math.max(...c.drains),
      discardedAttempts: c.discarded,
    };
    out.push(/** @type {any} */ (run));
    const st = res.serverTiming;
    const lw = /** @type {any} */ (ledger);
    say(
      `  [${String(counter.i).padStart(2)}/${counter.total}] ${sizeLabel(size).padStart(4)} ×${String(connections).padEnd(2)} ${t.name.padEnd(11)} ${f(res.rps, 0).padStart(6)} req/s  p50 ${f(res.latencyMs.p50)}  p99 ${f(res.latencyMs.p99)}  p99.9 ${f(res.latencyMs.p999)} ms  CPU ${f(res.serverCpuUsPerReq, 0)} µs/req` +
        (st.guard
          ? `  ST guard ${st.guard.p50}/${st.guard.p99} ledger ${st.ledger?.p50}/${st.ledger?.p99} upstream ${st.upstream?.p50}/${st.upstream?.p99}`
          : "") +
        (lw && !lw.unavailable ? `  ledger ${f(lw.rpcsPerRequest, 3)} RPCs/req, ${f(lw.rowsPerRequest, 2)} rows/req` : "") +
        (res.non2xx + res.errors
          ? `  ← ${res.non2xx} non-2xx, ${res.errors} connection errors (${res.timeouts} timeouts) ${res.errorSamples[0] ?? ""}`
          : "") +
        (res.foreignCpuPct > 25 ? `  (other processes used ${f(res.foreignCpuPct, 0)}% of a core)` : "") +
        (res.restarted ? "  (runtime restarted again: CPU not attributable)" : ""),
    );
  }
  return out;
}

/** Counters unchanged this long count as settled: an isolate flushes its allowance records ≤ 1 s after the oldest. */
const SETTLE_MS = 1200;
/** Never wait longer than this for them. */
const SETTLE_MAX_MS = 5000;
const POLL_MS = 200;

/**
 * The tenant object's counters once they have not moved for {@link SETTLE_MS}
 * (at most {@link SETTLE_MAX_MS}): with allowances, the last records of a turn
 * reach the object in a flush up to 1 s after the turn, from a timer, while the
 * processes already look idle. (An allowance that is never returned and
 * expires is charged by the object's alarm ~2 s after its expiry: such rows can
 * fall outside every window.)
 * @param {import("./ledger-stats.mjs").LedgerStatsReader} reader
 */
async function settledStats(reader) {
  const t0 = Date.now();
  let last = await reader.read();
  let since = Date.now();
  // Each poll is one more reading: its own RPC (if the object counts it) is taken out here, the first one by ledgerWindow.
  let polls = 0;
  const net = (/** @type {import("./ledger-stats.mjs").LedgerCounters} */ c) => ({
    rpcs: c.rpcs - polls * reader.selfRpcs,
    rowsWritten: c.rowsWritten,
  });
  while (last && Date.now() - t0 < SETTLE_MAX_MS) {
    await new Promise((r) => setTimeout(r, POLL_MS));
    const now = await reader.read();
    if (!now) break;
    polls++;
    const moved = now.rpcs - last.rpcs > reader.selfRpcs || now.rowsWritten !== last.rowsWritten;
    last = now;
    if (moved) since = Date.now();
    else if (Date.now() - since >= SETTLE_MS) break;
  }
  return last ? net(last) : null;
}

/**
 * Waits (up to 15 s) until a target answers GET /health again, e.g. after Miniflare restarted its runtime.
 * @param {{ url: string, serverPids: () => number[] }} t
 */
export async function waitReady(t) {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${t.url}/health`);
      await res.text();
      if (res.status < 500 && t.serverPids().length) return;
    } catch {
      /* restarting */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}
