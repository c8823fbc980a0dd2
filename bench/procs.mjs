/**
 * Process bookkeeping for the bench: a cleanup registry that runs on normal
 * exit, errors and signals; CPU and memory readings from /proc; free ports;
 * and the children this process spawned.
 */
import { execFileSync, spawn } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import net from "node:net";

/** @type {{ label: string, fn: () => (void | Promise<void>), sync?: () => void }[]} */
const cleanups = [];
/** Pids of every child we started, killed synchronously if we exit abruptly. @type {Set<number>} */
const ownedPids = new Set();
let cleaning = null;
let signalled = false;

/**
 * Registers a cleanup step; steps run in reverse order of registration.
 * `sync`, if given, is what still runs when the process exits before the
 * asynchronous step did (e.g. Miniflare's own SIGINT hook calls
 * process.exit() at once; only synchronous work survives that).
 * @param {string} label
 * @param {() => (void | Promise<void>)} fn
 * @param {() => void} [sync]
 */
export function onCleanup(label, fn, sync) {
  cleanups.push({ label, fn, sync });
}

/** Runs the synchronous fallbacks of every step that has not run yet. Safe inside an 'exit' handler. */
function runSyncCleanups() {
  while (cleanups.length) {
    const { sync } = /** @type {(typeof cleanups)[number]} */ (cleanups.pop());
    try {
      sync?.();
    } catch {
      /* best effort while exiting */
    }
  }
}

/**
 * Remembers a pid we own so that an abrupt exit still kills it.
 * @param {number | undefined} pid
 */
export function own(pid) {
  if (pid) ownedPids.add(pid);
}

/**
 * Runs every registered cleanup step once, newest first, each bounded in time.
 * @param {number} [stepTimeoutMs]
 * @returns {Promise<void>}
 */
export function cleanup(stepTimeoutMs = 5000) {
  if (cleaning) return cleaning;
  cleaning = (async () => {
    while (cleanups.length) {
      const { label, fn } = /** @type {(typeof cleanups)[number]} */ (cleanups.pop());
      if (process.env.BENCH_DEBUG) process.stderr.write(`bench: cleanup: ${label}\n`);
      let timer;
      try {
        await Promise.race([
          Promise.resolve().then(fn),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error(`timed out after ${stepTimeoutMs} ms`)), stepTimeoutMs);
          }),
        ]);
      } catch (err) {
        process.stderr.write(`bench: cleanup "${label}" failed: ${err instanceof Error ? err.message : String(err)}\n`);
      } finally {
        clearTimeout(timer);
      }
    }
    killOwnedSync();
  })();
  return cleaning;
}

/** Kills (SIGKILL) every owned pid that is still alive. Safe inside an 'exit' handler. */
export function killOwnedSync() {
  for (const pid of ownedPids) {
    try {
      process.kill(pid, 0);
      process.kill(pid, "SIGKILL");
    } catch {
      /* already gone */
    }
  }
  ownedPids.clear();
}

/**
 * Installs SIGINT/SIGTERM/SIGHUP, uncaught-error and exit handlers that stop
 * everything the bench started. A second Ctrl-C kills immediately.
 */
export function installSignalHandlers() {
  let interrupted = 0;
  const onSignal = (/** @type {NodeJS.Signals} */ sig) => {
    interrupted++;
    signalled = true;
    if (process.env.BENCH_DEBUG) process.stderr.write(`bench: signal ${sig} #${interrupted}, listeners ${process.listeners(sig).length}\n`);
    if (interrupted > 1) {
      killOwnedSync();
      process.exit(130);
    }
    process.stderr.write(`\nbench: ${sig} received, stopping everything it started…\n`);
    abortController.abort(new Error(`interrupted by ${sig}`));
    // (Once a Miniflare instance exists, its own signal hook exits the process right
    // after this handler; the 'exit' handler below then does the synchronous part.)
    cleanup().finally(() => process.exit(sig === "SIGINT" ? 130 : 143));
  };
  for (const sig of /** @type {NodeJS.Signals[]} */ (["SIGINT", "SIGTERM", "SIGHUP"])) process.on(sig, onSignal);
  process.on("uncaughtException", (err) => {
    process.stderr.write(`bench: uncaught exception: ${err?.stack ?? err}\n`);
    cleanup().finally(() => process.exit(1));
  });
  process.on("unhandledRejection", (err) => {
    process.stderr.write(`bench: unhandled rejection: ${err instanceof Error ? err.stack : String(err)}\n`);
    cleanup().finally(() => process.exit(1));
  });
  process.on("exit", () => {
    runSyncCleanups();
    killOwnedSync();
    if (signalled) process.stderr.write("bench: stopped everything it started.\n");
  });
}

/** Aborted on Ctrl-C; long waits and load loops watch it. */
export const abortController = new AbortController();

/** @returns {AbortSignal} */
export function interrupted() {
  return abortController.signal;
}

/**
 * Resolves after `ms`, or rejects early when the bench is interrupted.
 * @param {number} ms
 */
export function sleep(ms) {
  return new Promise((resolve, reject) => {
    const signal = abortController.signal;
    if (signal.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve(undefined);
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * A free TCP port on 127.0.0.1 (closed again before returning).
 * @returns {Promise<number>}
 */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

let ticks = 0;
/** Clock ticks per second for /proc/<pid>/stat times (USER_HZ, normally 100). */
export function clockTicks() {
  if (!ticks) {
    try {
      ticks = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
    } catch {
      ticks = 100;
    }
  }
  return ticks;
}

/**
 * Fields of /proc/<pid>/stat after the command name (index 0 = state, field 3).
 * @param {number} pid
 * @returns {string[] | null}
 */
function statFields(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, "utf8");
    return s.slice(s.lastIndexOf(")") + 2).split(" ");
  } catch {
    return null;
  }
}

/**
 * CPU time (user + system, all threads) of a process in milliseconds, or NaN if it is gone.
 * Resolution is one clock tick (10 ms at USER_HZ=100).
 * @param {number} pid
 */
export function cpuMs(pid) {
  const f = statFields(pid);
  if (!f) return NaN;
  // utime = field 14, stime = field 15 → indexes 11 and 12 after the command name.
  return ((Number(f[11]) + Number(f[12])) * 1000) / clockTicks();
}

/**
 * Sum of {@link cpuMs} over several pids.
 * @param {number[]} pids
 */
export function cpuMsOf(pids) {
  return pids.reduce((sum, pid) => sum + cpuMs(pid), 0);
}

/**
 * Busy CPU time of the whole machine (all cores, user+nice+system+irq+softirq+steal) in ms.
 */
export function machineBusyMs() {
  try {
    const line = readFileSync("/proc/stat", "utf8").split("\n")[0];
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    return ((f[0] + f[1] + f[2] + f[5] + f[6] + (f[7] || 0)) * 1000) / clockTicks();
  } catch {
    return NaN;
  }
}

/**
 * Waits until the given processes are idle (at most `idleMs` of CPU per
 * `windowMs` window, twice in a row), or `maxMs` passes. Used between runs so
 * that leftover work (in-flight requests dropped at the end of a run,
 * waitUntil settlements) does not spill into the next measurement.
 * @param {() => number[]} pids resolved on every poll
 * @param {{ windowMs?: number, idleMs?: number, maxMs?: number }} [o]
 * @returns {Promise<{ waitedMs: number, idle: boolean }>}
 */
export async function waitIdle(pids, o = {}) {
  const windowMs = o.windowMs ?? 100;
  const idleMs = o.idleMs ?? 10;
  const maxMs = o.maxMs ?? 10_000;
  // Only processes that are alive count (a pid may vanish while Miniflare restarts a runtime).
  const now = () => pids().map(cpuMs).filter(Number.isFinite).reduce((a, b) => a + b, 0);
  const t0 = performance.now();
  let quiet = 0;
  let last = now();
  while (performance.now() - t0 < maxMs) {
    await sleep(windowMs);
    const cur = now();
    quiet = cur - last <= idleMs ? quiet + 1 : 0;
    last = cur;
    if (quiet >= 2) return { waitedMs: performance.now() - t0, idle: true };
  }
  return { waitedMs: performance.now() - t0, idle: false };
}

/**
 * Resident set size in KiB, or NaN.
 * @param {number} pid
 */
export function rssKb(pid) {
  try {
    const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : NaN;
  } catch {
    return NaN;
  }
}

/**
 * Direct children of `ppid` whose command name (comm) is `comm`, if given.
 * @param {number} ppid
 * @param {string} [comm]
 * @returns {number[]}
 */
export function childPids(ppid, comm) {
  /** @type {number[]} */
  const out = [];
  let names;
  try {
    names = readdirSync("/proc");
  } catch {
    return out;
  }
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const s = readFileSync(`/proc/${name}/stat`, "utf8");
      const c = s.slice(s.indexOf("(") + 1, s.lastIndexOf(")"));
      const parent = Number(s.slice(s.lastIndexOf(")") + 2).split(" ")[1]);
      if (parent === ppid && (!comm || c === comm)) out.push(Number(name));
    } catch {
      /* raced with exit */
    }
  }
  return out;
}

/**
 * Direct children of `ppid` whose command line contains `needle`.
 * @param {number} ppid
 * @param {string} needle
 * @returns {number[]}
 */
export function childPidsMatching(ppid, needle) {
  return childPids(ppid).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").includes(needle);
    } catch {
      return false;
    }
  });
}

/**
 * Stops a child process: SIGTERM, then SIGKILL after `graceMs`.
 * @param {import("node:child_process").ChildProcess} child
 * @param {number} [graceMs]
 * @returns {Promise<void>}
 */
export function stopChild(child, graceMs = 2000) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const t = setTimeout(() => child.kill("SIGKILL"), graceMs);
    child.once("exit", () => {
      clearTimeout(t);
      if (child.pid) ownedPids.delete(child.pid);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

/**
 * Runs a command to completion with a time limit, capturing its output.
 * @param {string} cmd
 * @param {string[]} args
 * @param {{ cwd?: string, env?: NodeJS.ProcessEnv, timeoutMs?: number }} [opts]
 * @returns {Promise<{ code: number | null, stdout: string, stderr: string }>}
 */
export function runCommand(cmd, args, opts = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ["ignore", "pipe", "pipe"] });
    own(child.pid);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const t = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${cmd} ${args.join(" ")} timed out after ${opts.timeoutMs} ms`));
    }, opts.timeoutMs ?? 120_000);
    child.on("error", (err) => {
      clearTimeout(t);
      reject(err);
    });
    child.on("exit", (code) => {
      clearTimeout(t);
      if (child.pid) ownedPids.delete(child.pid);
      resolve({ code, stdout, stderr });
    });
  });
}
