/**
 * One bounded load run with autocannon: a fixed number of keep-alive
 * connections (no pipelining) send the same POST for a fixed time and stop by
 * themselves. Latency is taken per response from autocannon's own
 * `process.hrtime()` stamps (request written → response complete, sub-µs
 * precision), not from its whole-millisecond histogram. Server CPU is read
 * from /proc before and after the run.
 */
import autocannon from "autocannon";
import { cpuMsOf, interrupted, machineBusyMs } from "./procs.mjs";
import { Samples, summarize } from "./stats.mjs";

/**
 * @typedef {object} LoadOptions
 * @property {string} url          base URL, e.g. http://127.0.0.1:1234
 * @property {string} path
 * @property {Record<string, string>} headers
 * @property {string | Buffer} body
 * @property {number} connections
 * @property {number} durationSec
 * @property {boolean} [serverTiming]  parse the Server-Timing header of each response
 * @property {() => number[]} [serverPids] processes whose CPU counts as the target's (resolved before and after the run)
 * @property {() => number} [restarts]    the target runtime's restart count (Miniflare restarts a crashed workerd)
 * @property {number[]} [upstreamPids] the mock upstream's process(es)
 * @property {number} [timeoutSec]     per-request timeout
 * @property {Record<string, string>[]} [headerSets] extra headers taken in turn, one set per request
 *   (round-robin across all connections, e.g. one API key per tenant); `headers` still applies to every request
 * @property {{ i: number }} [headerCursor] where the rotation starts and is left (shared by the turns of a scenario,
 *   so a later turn continues with the next set instead of starting over at the first)
 */

/**
 * Parses `name;dur=1.23, other;dur=0` into a map.
 * @param {string | string[] | undefined} value
 * @returns {Record<string, number>}
 */
export function parseServerTiming(value) {
  /** @type {Record<string, number>} */
  const out = {};
  if (!value) return out;
  const s = Array.isArray(value) ? value.join(",") : value;
  for (const m of s.matchAll(/([A-Za-z0-9_-]+)\s*;[^,]*?dur=([0-9.eE+-]+)/g)) out[m[1]] = Number(m[2]);
  return out;
}

/**
 * @param {Record<string, any>} headers
 * @param {string} name lower-case
 */
function header(headers, name) {
  if (headers[name] !== undefined) return headers[name];
  for (const k of Object.keys(headers)) if (k.toLowerCase() === name) return headers[k];
  return undefined;
}

/**
 * A setupRequest hook that merges the next header set into each request, in turn.
 * @param {Record<string, string>[]} sets
 * @param {{ i: number }} cursor advanced by each request
 */
function rotateHeaders(sets, cursor) {
  return (/** @type {any} */ req) => {
    req.headers = { ...req.headers, ...sets[cursor.i++ % sets.length] };
    return req;
  };
}

/**
 * Runs one bounded load and returns every figure.
 * @param {LoadOptions} o
 */
export async function runLoad(o) {
  const latencies = new Samples(1 << 14);
  /** @type {Record<string, Samples>} */
  const timing = {};
  /** @type {Record<string, number>} */
  const statuses = {};
  /** @type {string[]} */
  const errorSamples = [];
  let responses = 0;
  let timingMissing = 0;

  const pidsBefore = o.serverPids ? o.serverPids() : [];
  const restarts0 = o.restarts ? o.restarts() : 0;
  const upstreamPids = o.upstreamPids ?? [];
  const clientCpu0 = process.cpuUsage();
  const server0 = cpuMsOf(pidsBefore);
  const upstream0 = cpuMsOf(upstreamPids);
  const busy0 = machineBusyMs();
  const t0 = process.hrtime.bigint();

  const result = await new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: o.url,
        connections: o.connections,
        pipelining: 1,
        duration: o.durationSec,
        timeout: o.timeoutSec ?? 30,
        sampleInt: 100,
        // Parsing bodies and headers is needed only for the hooks below.
        requests: [
          {
            method: "POST",
            path: o.path,
            headers: o.headers,
            body: o.body,
            // autocannon rebuilds a request that has a setupRequest before each send (cheap for small bodies).
            ...(o.headerSets?.length ? { setupRequest: rotateHeaders(o.headerSets, o.headerCursor ?? { i: 0 }) } : {}),
            onResponse: (/** @type {number} */ status, /** @type {string} */ body, /** @type {any} */ _ctx, /** @type {Record<string, any>} */ headers) => {
              statuses[status] = (statuses[status] ?? 0) + 1;
              if ((status < 200 || status >= 300) && errorSamples.length < 3) errorSamples.push(`${status} ${String(body).slice(0, 300)}`);
              if (o.serverTiming && status >= 200 && status < 300) {
                const st = parseServerTiming(header(headers, "server-timing"));
                let any = false;
                for (const [k, v] of Object.entries(st)) {
                  (timing[k] ??= new Samples(1 << 12)).push(v);
                  any = true;
                }
                if (!any) timingMissing++;
              }
            },
          },
        ],
      },
      (/** @type {Error | null} */ err, /** @type {any} */ res) => {
        interrupted().removeEventListener("abort", onAbort);
        if (err) reject(err);
        else resolve(res);
      },
    );
    instance.on("response", (/** @type {any} */ _client, /** @type {number} */ status, /** @type {number} */ _bytes, /** @type {number} */ ms) => {
      responses++;
      if (status >= 200 && status < 300) latencies.push(ms);
    });
    const onAbort = () => instance.stop();
    interrupted().addEventListener("abort", onAbort, { once: true });
  });

  const elapsedMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const pidsAfter = o.serverPids ? o.serverPids() : [];
  // A runtime that crashed and was restarted mid-run has a new pid: its CPU cannot be attributed.
  const restarted = pidsAfter.join() !== pidsBefore.join() || (o.restarts ? o.restarts() : 0) !== restarts0;
  const serverCpuMs = restarted ? NaN : cpuMsOf(pidsAfter) - server0;
  const upstreamCpuMs = cpuMsOf(upstreamPids) - upstream0;
  const client = process.cpuUsage(clientCpu0);
  const busyMs = machineBusyMs() - busy0;
  const clientCpuMs = (client.user + client.system) / 1000;
  const ownMs = (Number.isFinite(serverCpuMs) ? serverCpuMs : 0) + clientCpuMs + (upstreamPids.some((p) => pidsAfter.includes(p)) ? 0 : upstreamCpuMs);

  return finish({
    connections: o.connections,
    durationSec: o.durationSec,
    rounds: 1,
    elapsedMs,
    responses,
    statuses,
    // Requests written, including the ≤ 1 per connection still in flight when the run stopped (autocannon: requests.sent).
    sent: result.requests?.sent ?? result.totalRequests,
    serverPids: pidsAfter,
    restarted,
    errors: result.errors,
    timeouts: result.timeouts,
    errorSamples,
    serverCpuMs,
    upstreamCpuMs,
    clientCpuMs,
    busyMs,
    foreignMs: Math.max(0, busyMs - ownMs),
    serverTimingMissing: timingMissing,
    raw: { latencies, timing },
  });
}

/**
 * @typedef {object} RawLoad
 * @property {number} connections
 * @property {number} durationSec
 * @property {number} rounds
 * @property {number} elapsedMs
 * @property {number} responses
 * @property {Record<string, number>} statuses
 * @property {number} sent
 * @property {number[]} serverPids
 * @property {boolean} restarted
 * @property {number} errors
 * @property {number} timeouts
 * @property {string[]} errorSamples
 * @property {number} serverCpuMs
 * @property {number} upstreamCpuMs
 * @property {number} clientCpuMs
 * @property {number} busyMs
 * @property {number} foreignMs
 * @property {number} serverTimingMissing
 * @property {{ latencies: Samples, timing: Record<string, Samples> }} raw
 */

/**
 * Derives the reported figures (rates, percentiles, per-request CPU) from raw counters and samples.
 * @param {RawLoad} r
 */
function finish(r) {
  const ok = r.raw.latencies.length;
  /** @type {Record<string, ReturnType<typeof summarize>>} */
  const serverTiming = {};
  for (const [k, v] of Object.entries(r.raw.timing)) serverTiming[k] = summarize(v);
  const per = (/** @type {number} */ ms) => (r.responses ? (ms * 1000) / r.responses : NaN);
  return {
    ...r,
    ok,
    non2xx: r.responses - ok,
    rps: (ok / r.elapsedMs) * 1000,
    latencyMs: summarize(r.raw.latencies),
    serverCpuUsPerReq: per(r.serverCpuMs),
    upstreamCpuUsPerReq: per(r.upstreamCpuMs),
    clientCpuUsPerReq: per(r.clientCpuMs),
    machineBusyPct: (r.busyMs / r.elapsedMs) * 100,
    // CPU used by processes other than the target, the upstream and this client (other work on the machine), in % of one core.
    foreignCpuPct: (r.foreignMs / r.elapsedMs) * 100,
    serverTiming,
  };
}

/**
 * Pools several runs of the same target and settings (the rounds of one cell)
 * into one: samples are concatenated, counters and CPU summed, rates
 * recomputed over the summed time.
 * @param {ReturnType<typeof finish>[]} list
 */
export function mergeLoads(list) {
  if (list.length === 1) return list[0];
  const latencies = new Samples(list.reduce((n, r) => n + r.raw.latencies.length, 0) + 1);
  /** @type {Record<string, Samples>} */
  const timing = {};
  /** @type {Record<string, number>} */
  const statuses = {};
  for (const r of list) {
    for (let i = 0; i < r.raw.latencies.length; i++) latencies.push(r.raw.latencies.data[i]);
    for (const [k, v] of Object.entries(r.raw.timing)) {
      const t = (timing[k] ??= new Samples(4096));
      for (let i = 0; i < v.length; i++) t.push(v.data[i]);
    }
    for (const [k, v] of Object.entries(r.statuses)) statuses[k] = (statuses[k] ?? 0) + v;
  }
  const sum = (/** @type {(r: RawLoad) => number} */ g) => list.reduce((n, r) => n + g(r), 0);
  return finish({
    connections: list[0].connections,
    durationSec: sum((r) => r.durationSec),
    rounds: list.length,
    elapsedMs: sum((r) => r.elapsedMs),
    responses: sum((r) => r.responses),
    statuses,
    sent: sum((r) => r.sent),
    serverPids: list[list.length - 1].serverPids,
    restarted: list.some((r) => r.restarted),
    errors: sum((r) => r.errors),
    timeouts: sum((r) => r.timeouts),
    errorSamples: list.flatMap((r) => r.errorSamples).slice(0, 3),
    serverCpuMs: sum((r) => r.serverCpuMs),
    upstreamCpuMs: sum((r) => r.upstreamCpuMs),
    clientCpuMs: sum((r) => r.clientCpuMs),
    busyMs: sum((r) => r.busyMs),
    foreignMs: sum((r) => r.foreignMs),
    serverTimingMissing: sum((r) => r.serverTimingMissing),
    raw: { latencies, timing },
  });
}

/**
 * The run without its raw samples (for JSON).
 * @param {ReturnType<typeof finish>} r
 */
export function withoutRaw(r) {
  const { raw, ...rest } = r;
  return rest;
}
