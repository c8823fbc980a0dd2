/**
 * Command-line flags and environment variables of `npm run bench`.
 * Every flag `--some-name=value` can also be given as `BENCH_SOME_NAME=value`;
 * flags win over the environment. `--quick` picks a ~2-minute smoke profile,
 * and any explicit flag still overrides it.
 */

/** @typedef {"direct" | "passthrough" | "guard" | "portkey"} TargetName */

/**
 * @typedef {object} BenchOptions
 * @property {boolean} quick
 * @property {number[]} sizes            prompt sizes in tokens
 * @property {number[]} connections
 * @property {number} duration           seconds per measured run
 * @property {number} warmup             seconds of warm-up before each measured run (discarded)
 * @property {number} rounds             turns per target in each cell (targets alternate; turns are pooled)
 * @property {number} largeSize          sizes ≥ this use the large-prompt settings below
 * @property {number} largeDuration
 * @property {number[]} largeConnections
 * @property {TargetName[]} targets
 * @property {number} coldStarts         fresh guard instances started to time the first request
 * @property {boolean} storageProbe      also run the guard with its DO storage on the other medium (disk vs tmpfs)
 * @property {number} storageProbeDuration
 * @property {number[]} storageProbeConnections
 * @property {number} maxTokens          max_tokens sent with every request
 * @property {"disk" | "shm"} storage    where Durable Object storage lives (a temp dir on disk, or under /dev/shm)
 * @property {string} out                JSON output path (relative to the project root)
 * @property {string | null} copyTo      also write the JSON here (e.g. bench/results/2026-11-29.json)
 * @property {number} timeout            per-request timeout in seconds
 * @property {string | null} report       print the tables of a saved result file instead of running
 * @property {boolean} global            run the global-limit scenario (issue 7) after the main load runs
 * @property {"global" | null} only      run only this scenario (skips cold start, the matrix and the storage probe)
 * @property {number} globalTenants      tenants the global scenario spreads its load over (one user key each)
 * @property {number} globalConnections
 * @property {number} globalDuration     seconds per measured turn of each phase (A: no global limit, B: a global limit)
 * @property {number} globalRounds       A/B pairs (A, B, A, B, … — each phase's turns are pooled)
 * @property {number} globalDailyUsd     the daily global limit of phase B (never reached during a run)
 * @property {string | null} mergeInto   merge the global scenario's result into this saved result file
 * @property {("hot" | "quiet")[]} scenarios  issue 13's scenarios: hot = the matrix (one user key), quiet = many users round-robin
 * @property {"auto" | "on" | "off"} allowances  the guard's ALLOWANCES binding (edge allowances, issue 13)
 * @property {number} quietUsers         users the quiet scenario's requests are spread over (X-Budget-User u-0…)
 * @property {number} quietConnections
 * @property {number} quietSize          prompt size of the quiet scenario (tokens)
 * @property {number} quietDuration      seconds per target in the quiet scenario (split into --rounds turns)
 * @property {string | null} baseline    a saved result whose quiet scenario is "today" for the no-regression verdict
 * @property {boolean} help
 */

const FULL = {
  sizes: [100, 1000, 10000, 100000],
  connections: [1, 10, 50],
  duration: 5,
  warmup: 1,
  rounds: 2,
  largeSize: 100000,
  largeDuration: 5,
  largeConnections: [1, 10],
  coldStarts: 3,
  storageProbe: true,
  storageProbeDuration: 4,
  storageProbeConnections: [1, 10],
  // One turn per phase lasts one lease refresh period of the guard (27 s: a 30 s lease returned 3 s
  // early), so each tenant's periodic GlobalLedger call falls into a B turn exactly once.
  globalDuration: 27,
  globalRounds: 2,
  quietDuration: 5,
};

const QUICK = {
  // 10k is in: issue 13 has targets at 10k tokens.
  sizes: [100, 1000, 10000, 100000],
  connections: [1, 10],
  duration: 1.5,
  warmup: 0.5,
  rounds: 1,
  largeSize: 100000,
  largeDuration: 1.5,
  largeConnections: [10],
  coldStarts: 1,
  storageProbe: false,
  storageProbeDuration: 1.5,
  storageProbeConnections: [10],
  globalDuration: 3,
  globalRounds: 2,
  quietDuration: 1.5,
};

export const USAGE = `Usage: npm run bench -- [flags]            (or: node bench/run.mjs [flags])

Starts a mock upstream, a pass-through Worker and the guard (each in its own
Miniflare/workerd), and Portkey's gateway, all on 127.0.0.1; measures each;
prints a table; writes bench/results/latest.json; stops everything.

  --quick                    ~2-minute smoke run (sizes 100,1k,10k,100k; 1 and 10 connections, 100k at 10 only; 1.5 s runs;
                             the quiet scenario 1.5 s per target, the global scenario with 3 s turns)
  --sizes=100,1000,...       prompt sizes in tokens            (default ${FULL.sizes.join(",")})
  --connections=1,10,50      connection levels                 (default ${FULL.connections.join(",")})
  --duration=5               seconds per measured run          (default ${FULL.duration})
  --warmup=1                 warm-up seconds before each target's first turn in a cell (default ${FULL.warmup})
  --rounds=2                 turns per target in each cell; targets alternate and turns are pooled,
                             so drifting background load hits all targets alike (default ${FULL.rounds})
  --large-size=100000        sizes >= this are "large" and use:
  --large-duration=4         seconds per large run             (default ${FULL.largeDuration})
  --large-connections=...    connection levels for large runs  (default ${FULL.largeConnections.join(",")})
  --targets=direct,passthrough,guard,portkey
  --cold-starts=3            fresh guard instances timed for the first request
  --storage-probe=on|off     also run the guard with its DO storage on the other medium, tmpfs vs disk
                             (smallest prompt; default on, off with --quick)
  --storage-probe-duration=4 --storage-probe-connections=1,10
  --max-tokens=64            max_tokens of every request
  --storage=disk|shm         Durable Object storage in a temp dir (default disk) or under /dev/shm
  --timeout=30               per-request timeout, seconds
  --global=on|off            the global-limit scenario (issue 7) after the main runs (default on, also with --quick)
  --only=global              run only the global-limit scenario (no cold start, matrix or storage probe)
  --global-tenants=20        tenants (one user key each) the scenario's requests are spread over, round-robin
  --global-connections=10    --global-duration=${FULL.globalDuration} (seconds per turn; --quick: ${QUICK.globalDuration})
  --global-rounds=${FULL.globalRounds}          A/B pairs, run A, B, A, B; each phase's turns are pooled
  --global-daily=1000000     phase B's daily global limit in USD (never reached)
  --scenarios=hot,quiet      issue 13's scenarios: hot = the matrix above (one user key: sizes × connections),
                             quiet = 1,000 users round-robin through a service key (X-Budget-User), pass-through vs guard
  --allowances=auto|on|off   the guard's ALLOWANCES binding, every guard instance (default auto)
  --quiet-users=1000 --quiet-connections=10 --quiet-size=100
  --quiet-duration=${FULL.quietDuration}         seconds per target in the quiet scenario (--quick: ${QUICK.quietDuration})
  --baseline=PATH            a saved result (e.g. a run before allowances) whose quiet scenario the
                             no-regression verdict compares with; without it the quiet figures are only reported
  --merge-into=PATH          also merge the global scenario's result and verdict into a saved result
                             file (e.g. bench/results/2026-11-29.json), keeping the rest of it
  --out=bench/results/latest.json
  --copy-to=PATH             also write the JSON to PATH (e.g. bench/results/2026-11-29.json)
  --report=PATH              print the tables and verdicts of a saved result (e.g. bench/results/2026-11-29.json); runs nothing
  --help

Every flag can be set as an environment variable: --large-duration=3 is BENCH_LARGE_DURATION=3.`;

/** @param {string} v */
const list = (v) =>
  v
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
/** @param {string} v */
const nums = (v) =>
  list(v).map((s) => {
    const m = /^(\d+(?:\.\d+)?)(k?)$/i.exec(s);
    if (!m) throw new Error(`not a number: ${s}`);
    return Math.round(Number(m[1]) * (m[2] ? 1000 : 1));
  });
/** @param {string} v @param {string} name */
const num = (v, name) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a non-negative number, got ${v}`);
  return n;
};

/**
 * Parses flags and BENCH_* environment variables.
 * @param {string[]} argv
 * @param {NodeJS.ProcessEnv} env
 * @returns {BenchOptions}
 */
export function parseOptions(argv = process.argv.slice(2), env = process.env) {
  /** @type {Record<string, string>} */
  const raw = {};
  for (const [k, v] of Object.entries(env)) {
    if (k.startsWith("BENCH_") && v !== undefined) raw[k.slice(6).toLowerCase().replace(/_/g, "-")] = v;
  }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith("--")) throw new Error(`unexpected argument: ${a}\n\n${USAGE}`);
    const eq = a.indexOf("=");
    if (eq > 0) raw[a.slice(2, eq)] = a.slice(eq + 1);
    else if (["quick", "help"].includes(a.slice(2))) raw[a.slice(2)] = "true";
    else if (i + 1 < argv.length && !argv[i + 1].startsWith("--")) raw[a.slice(2)] = argv[++i];
    else raw[a.slice(2)] = "true";
  }
  const KNOWN = ["quick", "help", "sizes", "connections", "duration", "warmup", "rounds", "large-size", "large-duration", "large-connections", "targets", "cold-starts", "storage-probe", "storage-probe-duration", "storage-probe-connections", "max-tokens", "storage", "out", "copy-to", "report", "timeout", "global", "only", "global-tenants", "global-connections", "global-duration", "global-rounds", "global-daily", "merge-into", "scenarios", "allowances", "quiet-users", "quiet-connections", "quiet-size", "quiet-duration", "baseline"];
  for (const a of argv) {
    const name = a.replace(/^--/, "").split("=")[0];
    if (a.startsWith("--") && !KNOWN.includes(name)) throw new Error(`unknown flag --${name}\n\n${USAGE}`);
  }
  const truthy = (/** @type {string | undefined} */ v) => v !== undefined && !["0", "false", "no", "off", ""].includes(v.toLowerCase());
  const quick = truthy(raw.quick);
  const p = quick ? QUICK : FULL;
  /** @type {BenchOptions} */
  const o = {
    quick,
    help: truthy(raw.help),
    sizes: raw.sizes ? nums(raw.sizes) : p.sizes,
    connections: raw.connections ? nums(raw.connections) : p.connections,
    duration: raw.duration ? num(raw.duration, "duration") : p.duration,
    warmup: raw.warmup ? num(raw.warmup, "warmup") : p.warmup,
    rounds: raw.rounds ? Math.max(1, Math.floor(num(raw.rounds, "rounds"))) : p.rounds,
    largeSize: raw["large-size"] ? nums(raw["large-size"])[0] : p.largeSize,
    largeDuration: raw["large-duration"] ? num(raw["large-duration"], "large-duration") : p.largeDuration,
    largeConnections: raw["large-connections"] ? nums(raw["large-connections"]) : p.largeConnections,
    targets: /** @type {TargetName[]} */ (raw.targets ? list(raw.targets) : ["direct", "passthrough", "guard", "portkey"]),
    coldStarts: raw["cold-starts"] !== undefined ? Math.floor(num(raw["cold-starts"], "cold-starts")) : p.coldStarts,
    storageProbe: raw["storage-probe"] !== undefined ? truthy(raw["storage-probe"]) : p.storageProbe,
    storageProbeDuration: raw["storage-probe-duration"] ? num(raw["storage-probe-duration"], "storage-probe-duration") : p.storageProbeDuration,
    storageProbeConnections: raw["storage-probe-connections"] ? nums(raw["storage-probe-connections"]) : p.storageProbeConnections,
    maxTokens: raw["max-tokens"] ? Math.floor(num(raw["max-tokens"], "max-tokens")) : 64,
    storage: raw.storage === "shm" ? "shm" : "disk",
    out: raw.out ?? "bench/results/latest.json",
    copyTo: raw["copy-to"] ?? null,
    report: raw.report ?? null,
    timeout: raw.timeout ? num(raw.timeout, "timeout") : 30,
    global: raw.global !== undefined ? truthy(raw.global) : true,
    only: raw.only ? /** @type {"global"} */ (raw.only) : null,
    globalTenants: raw["global-tenants"] ? Math.max(1, Math.floor(num(raw["global-tenants"], "global-tenants"))) : 20,
    globalConnections: raw["global-connections"] ? Math.max(1, Math.floor(num(raw["global-connections"], "global-connections"))) : 10,
    globalDuration: raw["global-duration"] ? num(raw["global-duration"], "global-duration") : p.globalDuration,
    globalRounds: raw["global-rounds"] ? Math.max(1, Math.floor(num(raw["global-rounds"], "global-rounds"))) : p.globalRounds,
    globalDailyUsd: raw["global-daily"] ? num(raw["global-daily"], "global-daily") : 1_000_000,
    mergeInto: raw["merge-into"] ?? null,
    scenarios: /** @type {("hot" | "quiet")[]} */ (raw.scenarios ? list(raw.scenarios) : ["hot", "quiet"]),
    allowances: /** @type {"auto" | "on" | "off"} */ (raw.allowances ?? "auto"),
    quietUsers: raw["quiet-users"] ? Math.max(1, Math.floor(num(raw["quiet-users"], "quiet-users"))) : 1000,
    quietConnections: raw["quiet-connections"] ? Math.max(1, Math.floor(num(raw["quiet-connections"], "quiet-connections"))) : 10,
    quietSize: raw["quiet-size"] ? nums(raw["quiet-size"])[0] : 100,
    quietDuration: raw["quiet-duration"] ? num(raw["quiet-duration"], "quiet-duration") : p.quietDuration,
    baseline: raw.baseline ?? null,
  };
  for (const sc of o.scenarios) if (sc !== "hot" && sc !== "quiet") throw new Error(`unknown scenario "${sc}" (known: hot, quiet)`);
  if (!["auto", "on", "off"].includes(o.allowances)) throw new Error(`--allowances must be auto, on or off, got ${o.allowances}`);
  if (o.quietDuration <= 0) throw new Error("--quiet-duration must be > 0");
  const known = new Set(["direct", "passthrough", "guard", "portkey"]);
  for (const t of o.targets) if (!known.has(t)) throw new Error(`unknown target "${t}" (known: ${[...known].join(", ")})`);
  if (!o.sizes.length || !o.connections.length) throw new Error("--sizes and --connections must not be empty");
  if (o.duration <= 0 || o.largeDuration <= 0) throw new Error("durations must be > 0");
  if (raw.storage && !["disk", "shm"].includes(raw.storage)) throw new Error(`--storage must be disk or shm, got ${raw.storage}`);
  if (o.only !== null && o.only !== "global") throw new Error(`--only must be global, got ${raw.only}`);
  if (o.only === "global" && raw.global !== undefined && !o.global) throw new Error("--only=global and --global=off contradict each other");
  if (o.only === "global") o.global = true;
  if (o.globalDuration <= 0) throw new Error("--global-duration must be > 0");
  if (o.globalDailyUsd <= 0 || o.globalDailyUsd > 1_000_000_000) throw new Error("--global-daily must be > 0 and ≤ 1e9 (the admin API's maximum)");
  if (o.mergeInto && !o.global) throw new Error("--merge-into needs the global scenario (it merges its result)");
  return o;
}

/**
 * Seconds and connection levels for one prompt size.
 * @param {BenchOptions} o
 * @param {number} size
 */
export function planFor(o, size) {
  const large = size >= o.largeSize;
  return { large, duration: large ? o.largeDuration : o.duration, connections: large ? o.largeConnections : o.connections };
}

/**
 * Rough wall-clock estimate of a run, in seconds (for the banner).
 * @param {BenchOptions} o
 */
export function estimateSeconds(o) {
  // The global scenario: a guard with N tenants, then A/B turns (B's warm-up lasts until every tenant
  // holds a lease, up to ~10 s after the limit is set).
  const global = o.global ? 5 + o.globalTenants * 0.15 + Math.min(10, o.globalDuration / 3) + o.globalRounds * (2 * (o.globalDuration + Math.max(1, o.warmup) + 1) + 6) : 0;
  if (o.only === "global") return Math.round(15 + global);
  let s = 15 + o.coldStarts * 1.5 + global;
  if (o.scenarios.includes("quiet")) s += 3 + 2 * (o.quietDuration + o.warmup + o.rounds * 0.35);
  if (o.storageProbe) s += 3 + o.storageProbeConnections.length * 2 * (o.storageProbeDuration + o.warmup + o.rounds * 0.35);
  for (const size of o.scenarios.includes("hot") ? o.sizes : []) {
    const p = planFor(o, size);
    s += p.connections.length * o.targets.length * (p.duration + o.warmup + o.rounds * (p.large ? 0.6 : 0.35));
  }
  return Math.round(s);
}
