/**
 * The things under test, each started on 127.0.0.1 and stopped by the
 * cleanup registry:
 *   - direct       the mock upstream itself (the floor for Portkey)
 *   - passthrough  bench/passthrough-worker.mjs in its own Miniflare instance (the floor for the guard)
 *   - guard        the deployable bundle of src/index.ts in its own Miniflare instance, configured by wrangler.toml
 *   - portkey      @portkey-ai/gateway's Node server, pointed at the mock upstream
 * Both Workers run in the same harness with the same options: Miniflare's
 * programmatic API, the worker options wrangler derives from wrangler.toml
 * (compatibility date/flags), no inspector, request logging off, one workerd
 * process each so that CPU is attributable.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { childPids, childPidsMatching, freePort, onCleanup, own, sleep, stopChild } from "./procs.mjs";

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
export const ROOT = dirname(BENCH_DIR);

/** The model name each target is called with (the guard routes `bench/…` to the mock upstream). */
export const UPSTREAM_MODEL = "gpt-4o-mini";
export const GUARD_MODEL = `bench/${UPSTREAM_MODEL}`;
export const TENANT = "bench";
export const USER = "bench-user";
export const FEATURE = "bench-feature";

/**
 * @typedef {object} Target
 * @property {string} name
 * @property {string} url
 * @property {string} path
 * @property {Record<string, string>} headers
 * @property {string} model
 * @property {() => number[]} serverPids  the serving process(es) now (a workerd restarted by Miniflare gets a new pid)
 * @property {() => number} [restarts]     how often the runtime restarted so far
 * @property {string} cpuIncludes  what the server CPU figure covers
 * @property {boolean} [serverTiming]
 * @property {() => Promise<void>} stop
 * @property {Record<string, any>} [info]
 */

/**
 * Worker options for the guard as `wrangler dev` would build them from
 * wrangler.toml (compatibility date and flags, Durable Object bindings, vars),
 * read through wrangler's programmatic API.
 * @returns {Promise<{ options: Record<string, any>, source: string }>}
 */
export async function wranglerWorkerOptions() {
  try {
    // wrangler logs "Using secrets defined in .dev.vars" at info level; the bench overrides those values anyway.
    process.env.WRANGLER_LOG ??= "warn";
    const wrangler = await import("wrangler");
    const { workerOptions } = wrangler.unstable_getMiniflareWorkerOptions(join(ROOT, "wrangler.toml"));
    const options = /** @type {Record<string, any>} */ ({ ...workerOptions });
    // The bench passes the bundled modules itself; wrangler's module rules are for unbundled sources.
    delete options.modulesRules;
    delete options.rootPath;
    // The dashboard's static assets: deployed, the LLM paths reach the worker first (wrangler.toml
    // run_worker_first) with no asset lookup; Miniflare instead puts its asset router worker in front of every
    // request (measured: ~+560 µs CPU per request at 100 tokens). The bench measures the guard as deployed, so it
    // leaves the router out unless BENCH_ASSETS=1 asks for Miniflare's emulation.
    if (options.assets && process.env.BENCH_ASSETS !== "1") {
      delete options.assets;
      return { options, source: "wrangler.unstable_getMiniflareWorkerOptions(wrangler.toml), [assets] left out (BENCH_ASSETS=1 keeps it)" };
    }
    return { options, source: "wrangler.unstable_getMiniflareWorkerOptions(wrangler.toml)" };
  } catch (err) {
    // Fallback: the few settings the guard needs, read from wrangler.toml by hand.
    const toml = readFileSync(join(ROOT, "wrangler.toml"), "utf8");
    const date = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(toml)?.[1] ?? "2026-11-01";
    return {
      options: {
        compatibilityDate: date,
        compatibilityFlags: [],
        bindings: {},
        durableObjects: { TENANT_LEDGER: { className: "TenantLedger", useSQLite: true } },
      },
      source: `fallback (wrangler API failed: ${err instanceof Error ? err.message : String(err)})`,
    };
  }
}

/**
 * Captured workerd logs of one Miniflare instance.
 * @returns {{ counts: Record<string, number>, samples: string[], handler: (log: { level: string, message: string }) => void }}
 */
function logSink() {
  /** @type {Record<string, number>} */
  const counts = {};
  /** @type {string[]} */
  const samples = [];
  return {
    counts,
    samples,
    handler: (log) => {
      const n = (counts[log.level] = (counts[log.level] ?? 0) + 1);
      // Every error and warning (up to 10), and the first 2 lines of any other level.
      if (((log.level === "error" || log.level === "warn") && samples.length < 10) || (n <= 2 && samples.length < 14)) {
        samples.push(`${log.level}: ${String(log.message).slice(0, 500)}`);
      }
    },
  };
}

/**
 * Starts one Worker in its own Miniflare instance (its own workerd process).
 * @param {object} o
 * @param {string} o.name
 * @param {string} o.scriptPath        an ES module bundle
 * @param {Record<string, any>} o.base worker options from {@link wranglerWorkerOptions}
 * @param {Record<string, any>} o.bindings
 * @param {Record<string, any>} [o.durableObjects]
 * @param {string | null} [o.persistDir]  Durable Object storage directory; null = in memory
 * @returns {Promise<{ url: string, pid: number, pids: () => number[], restarts: () => number, events: { at: string, message: string }[], startMs: number, logs: ReturnType<typeof logSink>, mf: any, stop: () => Promise<void> }>}
 */
export async function startWorker(o) {
  const { Miniflare, convertV4MiniflareOptions, Log, LogLevel } = await import("miniflare");
  const logs = logSink();
  /** Miniflare's own warnings (e.g. "The Workers runtime crashed unexpectedly and is being restarted"), kept and printed. */
  const events = /** @type {{ at: string, message: string }[]} */ ([]);
  let restarts = 0;
  class BenchLog extends Log {
    /** @param {number} level @param {string} message */
    logWithLevel(level, message) {
      if (level <= LogLevel.WARN) {
        events.push({ at: new Date().toISOString(), message: String(message).slice(0, 500) });
        if (/crashed unexpectedly/.test(String(message))) restarts++;
      }
      super.logWithLevel(level, message);
    }
  }
  const before = new Set(childPids(process.pid, "workerd"));
  const t0 = performance.now();
  const worker = {
    ...o.base,
    name: o.name,
    modulesRoot: dirname(o.scriptPath),
    modules: [{ type: "ESModule", path: o.scriptPath, contents: readFileSync(o.scriptPath, "utf8") }],
    bindings: o.bindings,
    durableObjects: o.durableObjects ?? {},
    unsafeEphemeralDurableObjects: o.persistDir === null ? true : undefined,
  };
  if (!o.durableObjects) delete worker.durableObjects;
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      host: "127.0.0.1",
      port: 0,
      cf: false,
      logRequests: false,
      log: new BenchLog(LogLevel.WARN, { prefix: `mf:${o.name}` }),
      handleStructuredLogs: logs.handler,
      resourcePersistencePath: o.persistDir ?? undefined,
      .../** @type {any} */ (worker),
    }),
  );
  let disposed = false;
  const stop = async () => {
    if (disposed) return;
    disposed = true;
    await mf.dispose();
  };
  onCleanup(`miniflare ${o.name}`, stop);
  const ready = await mf.ready;
  const startMs = performance.now() - t0;
  const fresh = childPids(process.pid, "workerd").filter((p) => !before.has(p));
  // Without /proc (not Linux) there are no pids and CPU figures stay empty.
  if (fresh.length !== 1 && existsSync("/proc/self/stat")) throw new Error(`expected one new workerd process for ${o.name}, found ${fresh.length}`);
  own(fresh[0]);
  // The pid changes when Miniflare restarts a crashed runtime; the restarted
  // workerd is started with the entry port it had (the first one with :0).
  let current = fresh[0];
  const needle = `--socket-addr=entry=${ready.hostname}:${ready.port}`;
  const pids = () => {
    if (current === undefined) return [];
    if (childPids(process.pid, "workerd").includes(current)) return [current];
    const found = childPidsMatching(process.pid, needle);
    if (found.length === 1) {
      current = found[0];
      own(current);
    }
    return found;
  };
  return { url: ready.origin, pid: fresh[0], pids, restarts: () => restarts, events, startMs, logs, mf, stop };
}

/**
 * Runs the operator admin calls that set up the bench tenant on the guard:
 * a tenant priced for `bench/gpt-4o-mini`, a user and a feature with limits
 * far above what the run spends, and a `user` key bound to that user.
 * @param {string} url
 * @param {string} adminToken
 * @param {string} [tenant]  the tenant id (default `bench`; the global scenario creates several)
 * @returns {Promise<{ key: string, calls: { what: string, status: number, ms: number }[] }>}
 */
export async function seedGuard(url, adminToken, tenant = TENANT) {
  /** @type {{ what: string, status: number, ms: number }[]} */
  const calls = [];
  const call = async (/** @type {string} */ method, /** @type {string} */ path, /** @type {unknown} */ body) => {
    const t0 = performance.now();
    const res = await fetch(url + path, {
      method,
      headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    calls.push({ what: `${method} ${path}`, status: res.status, ms: performance.now() - t0 });
    if (!res.ok) throw new Error(`guard admin ${method} ${path} → ${res.status}: ${text.slice(0, 500)}`);
    return JSON.parse(text);
  };
  await call("PUT", `/admin/v1/tenants/${tenant}`, {
    name: "Bench tenant",
    limits: { daily: 10_000_000, monthly: 100_000_000 },
    prices: { [GUARD_MODEL]: { input: 0.15, output: 0.6 } },
  });
  await call("PUT", `/admin/v1/tenants/${tenant}/users/${USER}`, { limits: { daily: 1_000_000, monthly: 10_000_000 } });
  await call("PUT", `/admin/v1/tenants/${tenant}/features/${FEATURE}`, { limits: { daily: 1_000_000, monthly: 10_000_000 } });
  const created = await call("POST", `/admin/v1/tenants/${tenant}/keys`, { name: "bench", role: "user", userId: USER });
  if (typeof created.key !== "string") throw new Error(`guard admin: key creation returned no key: ${JSON.stringify(created).slice(0, 300)}`);
  return { key: created.key, calls };
}

/** Headers the guard is called with. @param {string} key */
export function guardHeaders(key) {
  return { "content-type": "application/json", authorization: `Bearer ${key}`, "x-budget-feature": FEATURE };
}

/**
 * The guard's bindings: development mode, a random operator token, no mock
 * provider, and the mock upstream as the OpenAI-compatible provider `bench`.
 * @param {Record<string, any>} base wrangler's bindings (wrangler.toml vars, .dev.vars)
 * @param {string} upstreamUrl
 * @param {string} adminToken
 */
export function guardBindings(base, upstreamUrl, adminToken) {
  return {
    ...base,
    ENVIRONMENT: "development",
    ADMIN_TOKEN: adminToken,
    MOCK_PROVIDER: "off",
    PROVIDERS: JSON.stringify([{ name: "bench", baseUrl: `${upstreamUrl}/v1`, keySecret: "BENCH_KEY" }]),
    BENCH_KEY: "sk-bench-not-a-real-key",
  };
}

/** A random operator token for this run. */
export function randomAdminToken() {
  return `bench-admin-${randomBytes(16).toString("hex")}`;
}

/**
 * A temp directory removed at cleanup.
 * @param {string} prefix
 * @param {string} [root]
 */
export function tempDir(prefix, root = tmpdir()) {
  const dir = mkdtempSync(join(root, prefix));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  onCleanup(`remove ${dir}`, remove, remove);
  return dir;
}

/**
 * Starts Portkey's open-source gateway on Node, bound to 127.0.0.1.
 * Routing to the mock upstream is per request: `x-portkey-provider: openai`
 * and `x-portkey-custom-host: <upstream>/v1` (header names from the gateway's
 * own constants; 127.0.0.1 is on its trusted custom-host list by default).
 * @param {string} upstreamUrl
 * @returns {Promise<Target & { pid: number, startMs: number, version: string, output: () => string }>}
 */
export async function startPortkey(upstreamUrl) {
  const require = createRequire(join(ROOT, "package.json"));
  const pkgPath = require.resolve("@portkey-ai/gateway/package.json");
  const pkg = JSON.parse(readFileSync(pkgPath, "utf8"));
  const bin = join(dirname(pkgPath), typeof pkg.bin === "string" ? pkg.bin : pkg.bin[Object.keys(pkg.bin)[0]]);
  const port = await freePort();
  const t0 = performance.now();
  const child = spawn(process.execPath, ["--import", pathToFileURL(join(BENCH_DIR, "portkey-loopback.mjs")).href, bin, `--port=${port}`, "--headless"], {
    cwd: dirname(pkgPath),
    env: { ...process.env, NODE_ENV: "production" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  own(child.pid);
  const stop = () => stopChild(child);
  onCleanup("portkey gateway", stop);
  let output = "";
  const keep = (/** @type {Buffer} */ d) => {
    output = (output + d.toString()).slice(-8000);
  };
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`portkey gateway exited with code ${child.exitCode}: ${output.slice(-2000)}`);
    try {
      const res = await fetch(`${url}/`);
      await res.text();
      if (res.ok) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) throw new Error(`portkey gateway did not answer on ${url} within 30 s: ${output.slice(-2000)}`);
    await sleep(100);
  }
  return {
    name: "portkey",
    url,
    path: "/v1/chat/completions",
    headers: {
      "content-type": "application/json",
      authorization: "Bearer sk-bench-not-a-real-key",
      "x-portkey-provider": "openai",
      "x-portkey-custom-host": `${upstreamUrl}/v1`,
    },
    model: UPSTREAM_MODEL,
    serverPids: () => [/** @type {number} */ (child.pid)],
    cpuIncludes: "the Portkey gateway's Node process",
    pid: /** @type {number} */ (child.pid),
    startMs: performance.now() - t0,
    version: pkg.version,
    output: () => output,
    stop,
  };
}

/**
 * Sends one chat completion and returns status, time, body and headers.
 * @param {{ url: string, path: string, headers: Record<string, string> }} target
 * @param {string} body
 */
export async function oneRequest(target, body) {
  const t0 = performance.now();
  const res = await fetch(target.url + target.path, { method: "POST", headers: target.headers, body });
  const text = await res.text();
  return { status: res.status, ms: performance.now() - t0, text, headers: Object.fromEntries(res.headers) };
}

