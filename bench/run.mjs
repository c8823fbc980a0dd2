#!/usr/bin/env node
/**
 * `npm run bench`: the side-by-side benchmark of issue 8.
 *
 * Starts on 127.0.0.1: a mock upstream (own process), a pass-through Worker
 * and the guard (each in its own Miniflare/workerd), and Portkey's gateway
 * (own Node process). Measures direct / pass-through / guard / Portkey at each
 * connection level and prompt size with bounded autocannon runs, prints the
 * tables and the verdicts on the issue's targets, writes
 * bench/results/latest.json, and stops everything it started — also on
 * Ctrl-C and on errors.
 *
 * See bench/README.md for how to read the output.
 */
import { join, resolve } from "node:path";
import { existsSync, readFileSync } from "node:fs";
import { buildBundle } from "./bundle.mjs";
import { measureColdStart } from "./coldstart.mjs";
import { mergeGlobalInto, runGlobalScenario } from "./global.mjs";
import { runCell } from "./cell.mjs";
import { ledgerStatsReader } from "./ledger-stats.mjs";
import { parseServerTiming, runLoad } from "./load.mjs";
import { machine, versions } from "./machine.mjs";
import { estimateSeconds, parseOptions, planFor, USAGE } from "./options.mjs";
import { cleanup, installSignalHandlers, interrupted, waitIdle } from "./procs.mjs";
import { runQuietScenario } from "./quiet.mjs";
import { baselineQuietRows } from "./baseline.mjs";
import { scenarioRows, scenarioTable, verdicts13 } from "./scenarios.mjs";
import { chatBody, makePrompts, sizeLabel } from "./prompts.mjs";
import { compare, comparisonTable, f, globalReport, runsTable, table, tidy, verdictLines, verdicts, writeJson } from "./report.mjs";
import {
  FEATURE,
  GUARD_MODEL,
  guardBindings,
  seedGuard,
  guardHeaders,
  oneRequest,
  randomAdminToken,
  ROOT,
  startPortkey,
  startWorker,
  tempDir,
  TENANT,
  UPSTREAM_MODEL,
  wranglerWorkerOptions,
} from "./targets.mjs";
import { startUpstream } from "./upstream.mjs";

const PASSTHROUGH = join(ROOT, "bench", "passthrough-worker.mjs");
/** Prompt size of the global-limit scenario (tokens). */
const GLOBAL_SIZE = 100;

/** @param {string} s */
const say = (s) => process.stdout.write(s + "\n");

async function main() {
  let opts;
  try {
    opts = parseOptions();
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  }
  if (opts.help) {
    say(USAGE);
    return;
  }
  if (opts.report) {
    printSaved(resolve(ROOT, opts.report));
    return;
  }
  /** @type {import("./scenarios.mjs").ScenarioRow[] | null} */
  let baseline = null;
  try {
    baseline = opts.baseline ? baselineQuietRows(resolve(ROOT, opts.baseline)) : null;
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  }
  installSignalHandlers();
  const started = new Date();
  const t0 = performance.now();
  const mach = machine();
  const vers = versions(ROOT);
  const onlyGlobal = opts.only === "global";
  say(`budget-guard bench — ${started.toISOString()} — ${onlyGlobal ? "global-limit scenario only" : opts.quick ? "quick run" : "full run"}${opts.quick ? " (quick durations)" : ""}, about ${Math.round(estimateSeconds(opts) / 6) / 10} min`);
  say(`machine: ${mach.cpuModel}, ${mach.cores} cores, ${mach.memoryMiB} MiB, ${mach.os}, Node ${mach.node}, load avg ${mach.loadavgAtStart.join(" ")}`);
  say(`versions: guard ${vers.guard}${vers.git.commit ? ` (${vers.git.commit.slice(0, 12)})` : ""}, wrangler ${vers.wrangler}, miniflare ${vers.miniflare}, workerd ${vers.workerd}, @portkey-ai/gateway ${vers.portkeyGateway}, autocannon ${vers.autocannon}`);

  /** @type {any} */
  const result = {
    schema: 1,
    kind: "budget-guard benchmark (issues 8 and 13)",
    date: started.toISOString().slice(0, 10),
    startedAt: started.toISOString(),
    options: opts,
    machine: mach,
    versions: vers,
  };
  let exitCode = 0;
  try {
    // Prompts.
    say("\n• prompts");
    const promptSizes = onlyGlobal ? [GLOBAL_SIZE] : [...new Set([...opts.sizes, ...(opts.global ? [GLOBAL_SIZE] : []), ...(opts.scenarios.includes("quiet") ? [opts.quietSize] : [])])].sort((a, b) => a - b);
    const { prompts, tokenizer } = await makePrompts(promptSizes);
    result.prompts = {
      tokenizer,
      sizes: [...prompts].map(([size, p]) => ({ size, label: sizeLabel(size), tokens: p.tokens, chars: p.chars, bodyBytes: Buffer.byteLength(chatBody(GUARD_MODEL, p.text, opts.maxTokens)) })),
      maxTokens: opts.maxTokens,
    };
    say(`  ${result.prompts.sizes.map((/** @type {any} */ s) => `${s.label}: ${s.tokens} tokens, ${(s.bodyBytes / 1024).toFixed(1)} KiB body`).join("; ")} (${tokenizer})`);

    // Bundle: the deployable guard, also what the bench runs.
    say("\n• bundle (wrangler deploy --dry-run)");
    const tmp = tempDir("budget-guard-bench-");
    const bundle = await buildBundle(ROOT, join(tmp, "bundle"));
    result.bundle = { ...bundle, entryPath: undefined };
    say(`  ${bundle.files.map((x) => x.file).join(", ")}: ${(bundle.rawBytes / 1048576).toFixed(2)} MiB raw, ${(bundle.gzipBytes / 1048576).toFixed(2)} MiB gzip (zlib level 6; level 9: ${(bundle.gzip9Bytes / 1048576).toFixed(2)} MiB)${bundle.wranglerReported ? `; wrangler: ${bundle.wranglerReported.totalKiB} KiB / gzip ${bundle.wranglerReported.gzipKiB} KiB` : ""}`);

    // Mock upstream and harness options.
    const upstream = await startUpstream();
    const { options: base, source: baseSource } = await wranglerWorkerOptions();
    // Every guard instance (matrix, cold start, storage probe, global scenario) runs in the same allowance mode.
    base.bindings = { ...(base.bindings ?? {}), ALLOWANCES: opts.allowances };
    const storageRoot = opts.storage === "shm" && existsSync("/dev/shm") ? tempDir("budget-guard-bench-", "/dev/shm") : tmp;
    const persistDir = join(storageRoot, "guard-storage");
    const adminToken = randomAdminToken();
    result.harness = {
      runtime: `Miniflare ${vers.miniflare} programmatic API (new Miniflare(convertV4MiniflareOptions(...))), one instance = one workerd process per Worker, 127.0.0.1, no inspector, logRequests off, cf off`,
      workerOptionsFrom: baseSource,
      compatibilityDate: base.compatibilityDate,
      compatibilityFlags: base.compatibilityFlags ?? [],
      guardScript: "the wrangler --dry-run bundle of src/index.ts",
      guardBindingNames: Object.keys(guardBindings(base.bindings ?? {}, upstream.url, adminToken)).sort(),
      guardModel: GUARD_MODEL,
      durableObjectStorage: opts.storage === "shm" ? `tmpfs (${storageRoot})` : `temp dir on disk (${storageRoot})`,
      passthrough: "bench/passthrough-worker.mjs, same Miniflare options and compatibility date, streams request and response through",
      portkey: "node build/start-server.js --port=N --headless (NODE_ENV=production), bound to 127.0.0.1; x-portkey-provider: openai, x-portkey-custom-host: <upstream>/v1",
      upstream: "Node http server in its own process: reads the whole body, answers a fixed chat.completion with usage (prompt_tokens = body bytes / 4, completion_tokens = 16), zero latency",
      loadGenerator: `autocannon ${vers.autocannon} in the bench process, keep-alive, pipelining 1; latency per response from process.hrtime (request written → response complete)`,
      cpu: "utime+stime from /proc/<pid>/stat before/after each run (10 ms ticks), divided by the responses of the run",
    };

    /** The global-limit scenario (issue 7) on its own guard instance; prints its turns as it goes. */
    const globalScenario = async () => {
      say(`\n• global limit scenario (issue 7): its own guard, ${opts.globalTenants} tenants round-robin, ${opts.globalConnections} connections, ${GLOBAL_SIZE}-token prompt; turns A (no global limit) and B (a global limit) alternate, ${opts.globalDuration} s each`);
      const g = await runGlobalScenario({
        opts,
        bundlePath: bundle.entryPath,
        base,
        upstream,
        storageRoot,
        storageMedium: opts.storage === "shm" ? "tmpfs" : "disk",
        prompt: /** @type {import("./prompts.mjs").Prompt} */ (prompts.get(GLOBAL_SIZE)),
        size: GLOBAL_SIZE,
        log: say,
      });
      result.global = g.result;
      return g;
    };

    if (onlyGlobal) {
      // --only=global: nothing else runs (the finally block below still cleans up and writes the JSON).
      const g = await globalScenario();
      result.verdicts = [g.verdict];
      say("\n• global limit (issue 7): GlobalLedger calls and latency, B (global limit) vs A (none); turns pooled per phase; ST = Server-Timing, ms");
      say(globalReport(g.result));
      say("\n• target of issue 7 (reported, not asserted)");
      say(verdictLines(result.verdicts));
      return;
    }

    // Cold start (its own short-lived instances, before anything is warm).
    say("\n• cold start");
    const small = /** @type {import("./prompts.mjs").Prompt} */ (prompts.get(Math.min(...opts.sizes)));
    const cold = await measureColdStart({
      bundlePath: bundle.entryPath,
      base,
      passthroughPath: PASSTHROUGH,
      upstreamUrl: upstream.url,
      persistDir,
      adminToken,
      guardBody: chatBody(GUARD_MODEL, small.text, opts.maxTokens),
      plainBody: chatBody(UPSTREAM_MODEL, small.text, opts.maxTokens),
      instances: opts.coldStarts,
      log: say,
    });
    const key = cold.key;
    result.coldStart = { ...cold, key: undefined };

    // The targets, steady state.
    say("\n• targets");
    /** @type {import("./targets.mjs").Target[]} */
    const targets = [];
    const want = new Set(opts.targets);
    if (want.has("direct")) {
      targets.push({ name: "direct", url: upstream.url, path: "/v1/chat/completions", headers: { "content-type": "application/json", authorization: "Bearer sk-bench-not-a-real-key" }, model: UPSTREAM_MODEL, serverPids: () => [upstream.pid], cpuIncludes: "the mock upstream's Node process (it is the server)", stop: async () => {} });
    }
    /** @type {Awaited<ReturnType<typeof startWorker>> | null} */
    let ptWorker = null;
    if (want.has("passthrough")) {
      ptWorker = await startWorker({ name: "passthrough", scriptPath: PASSTHROUGH, base: { compatibilityDate: base.compatibilityDate, compatibilityFlags: base.compatibilityFlags }, bindings: { UPSTREAM_URL: upstream.url } });
      targets.push({ name: "passthrough", url: ptWorker.url, path: "/v1/chat/completions", headers: { "content-type": "application/json", authorization: "Bearer sk-bench-not-a-real-key" }, model: UPSTREAM_MODEL, serverPids: ptWorker.pids, restarts: ptWorker.restarts, cpuIncludes: "the pass-through's workerd process (Miniflare entry worker + the Worker)", stop: ptWorker.stop });
    }
    /** @type {Awaited<ReturnType<typeof startWorker>> | null} */
    let guardWorker = null;
    if (want.has("guard")) {
      guardWorker = await startWorker({ name: "guard", scriptPath: bundle.entryPath, base, bindings: guardBindings(base.bindings ?? {}, upstream.url, adminToken), durableObjects: base.durableObjects, persistDir });
      targets.push({ name: "guard", url: guardWorker.url, path: "/v1/chat/completions", headers: guardHeaders(key), model: GUARD_MODEL, serverPids: guardWorker.pids, restarts: guardWorker.restarts, cpuIncludes: "the guard's workerd process (Miniflare entry worker + the guard + its TenantLedger Durable Object and SQLite)", serverTiming: true, stop: guardWorker.stop });
      // RPCs and rows of the hot subject's tenant object (issue 13); read outside the guard's request path.
      const reader = await ledgerStatsReader(guardWorker.mf, TENANT);
      /** @type {any} */ (targets[targets.length - 1]).ledgerStats = reader;
      result.harness.ledgerStats = reader.unavailable ?? `stats() of each tenant object through Miniflare's getDurableObjectNamespace("TENANT_LEDGER"), before and after each measured guard turn (after the drain); one reading counts ${reader.selfRpcs} RPC(s), subtracted`;
      if (reader.unavailable) say(`  note: ${reader.unavailable}; RPCs and rows per request are not reported`);
    }
    /** @type {Awaited<ReturnType<typeof startPortkey>> | null} */
    let portkey = null;
    if (want.has("portkey")) {
      portkey = await startPortkey(upstream.url);
      targets.push(portkey);
    }

    // Each target must answer 200 and really reach the mock upstream.
    result.targets = {};
    for (const t of targets) {
      const before = (await upstream.stats()).requests;
      const r = await oneRequest(t, chatBody(t.model, small.text, opts.maxTokens));
      const after = await upstream.stats();
      const reached = after.requests - before;
      const info = {
        url: t.url,
        serverPids: t.serverPids(),
        cpuIncludes: t.cpuIncludes,
        verify: { status: r.status, ms: r.ms, upstreamRequests: reached, upstreamSawModel: after.lastModel, upstreamSawAuthorization: after.lastAuthorization, serverTiming: parseServerTiming(r.headers["server-timing"]) },
        budgetHeaders: Object.fromEntries(Object.entries(r.headers).filter(([k]) => k.startsWith("x-budget-") || k === "server-timing")),
      };
      result.targets[t.name] = info;
      const ok = r.status === 200 && reached === 1;
      say(`  ${t.name.padEnd(11)} ${t.url}  pid ${t.serverPids().join(",")}  check: ${r.status}, reached upstream ${reached}×${ok ? "" : "  ← PROBLEM: " + r.text.slice(0, 200)}`);
      if (!ok) throw new Error(`${t.name} failed its check request: status ${r.status}, upstream reached ${reached} times: ${r.text.slice(0, 500)}`);
    }
    if (portkey) result.targets.portkey.version = portkey.version;

    // Warm every target once (JIT, connection pools) before the matrix.
    for (const t of targets) {
      await runLoad({ url: t.url, path: t.path, headers: t.headers, body: chatBody(t.model, small.text, opts.maxTokens), connections: Math.max(...opts.connections), durationSec: Math.max(1, opts.warmup), timeoutSec: opts.timeout });
      await waitIdle(() => [...t.serverPids(), upstream.pid]);
    }

    // The matrix: for each size and connection level, the targets take turns
    // (round-robin, `rounds` times, each turn duration/rounds long) so that
    // background load drifting during the cell hits them alike; each target's
    // turns are pooled into one result.
    say(`\n• load runs (${opts.rounds} alternating round${opts.rounds > 1 ? "s" : ""} per cell; each line pools a target's rounds)`);
    /** @type {import("./report.mjs").Run[]} */
    const runs = [];
    const hotSizes = opts.scenarios.includes("hot") ? opts.sizes : [];
    if (!hotSizes.length) say("  (skipped: --scenarios has no hot)");
    const total = hotSizes.reduce((n, s) => n + planFor(opts, s).connections.length * targets.length, 0);
    const counter = { i: 0, total };
    const cellOpts = { opts, upstreamPid: upstream.pid, counter };
    for (const size of hotSizes) {
      const plan = planFor(opts, size);
      const prompt = /** @type {import("./prompts.mjs").Prompt} */ (prompts.get(size));
      for (const connections of plan.connections) {
        runs.push(...(await runCell({ ...cellOpts, targets, size, prompt, connections, duration: plan.duration, large: plan.large })));
      }
    }
    result.runs = runs;

    // Issue 13's many-quiet-subjects scenario: the pass-through and the guard on tenant bench-quiet.
    /** @type {import("./report.mjs").Run[]} */
    let quietRuns = [];
    const ptTarget = targets.find((t) => t.name === "passthrough");
    if (opts.scenarios.includes("quiet")) {
      say(`\n• many quiet subjects (issue 13): ${opts.quietUsers} users of tenant bench-quiet round-robin (service key, X-Budget-User), ${opts.quietConnections} connections, ${sizeLabel(opts.quietSize)}-token prompt; pass-through and guard take turns`);
      if (!guardWorker || !ptTarget) say("  skipped: needs the passthrough and guard targets");
      else {
        const q = await runQuietScenario({ opts, guardWorker, passthrough: ptTarget, adminToken, upstreamPid: upstream.pid, prompt: /** @type {import("./prompts.mjs").Prompt} */ (prompts.get(opts.quietSize)), log: say });
        quietRuns = q.runs;
        result.quiet = q;
        say(`  ${f(q.requestsPerUser, 2)} measured requests per user on average (${q.usersReached} users reached): every user stays quiet`);
      }
    }

    // Where the guard's time goes: the same guard with its Durable Object storage on the other medium
    // (tmpfs vs disk), alternating with the main instance, smallest prompt.
    if (opts.storageProbe && guardWorker && existsSync("/dev/shm")) {
      const otherMedium = opts.storage === "shm" ? "disk" : "shm";
      say(`\n• ledger storage probe: the guard with Durable Object storage on ${opts.storage === "shm" ? "tmpfs" : "disk"} (main) vs on ${otherMedium === "shm" ? "tmpfs" : "disk"} (fsync is free on tmpfs)`);
      const otherRoot = otherMedium === "shm" ? tempDir("budget-guard-bench-", "/dev/shm") : tempDir("budget-guard-bench-disk-");
      const g2 = await startWorker({ name: `guard-${otherMedium}`, scriptPath: bundle.entryPath, base, bindings: guardBindings(base.bindings ?? {}, upstream.url, adminToken), durableObjects: base.durableObjects, persistDir: join(otherRoot, "guard-storage") });
      const seed2 = await seedGuard(g2.url, adminToken);
      const mainName = `guard-${opts.storage}`;
      const pair = /** @type {import("./targets.mjs").Target[]} */ ([
        { ...targets.find((t) => t.name === "guard"), name: mainName },
        { name: `guard-${otherMedium}`, url: g2.url, path: "/v1/chat/completions", headers: guardHeaders(seed2.key), model: GUARD_MODEL, serverPids: g2.pids, restarts: g2.restarts, cpuIncludes: "a second guard workerd, storage on the other medium", serverTiming: true, stop: g2.stop },
      ]);
      const size = Math.min(...opts.sizes);
      const prompt = /** @type {import("./prompts.mjs").Prompt} */ (prompts.get(size));
      const probeRuns = [];
      const probeCounter = { i: 0, total: opts.storageProbeConnections.length * 2 };
      for (const connections of opts.storageProbeConnections) {
        probeRuns.push(...(await runCell({ opts, upstreamPid: upstream.pid, counter: probeCounter, targets: pair, size, prompt, connections, duration: opts.storageProbeDuration, large: false })));
      }
      await g2.stop();
      const rows = opts.storageProbeConnections.map((c) => {
        const d = probeRuns.find((r) => r.target === "guard-disk" && r.connections === c);
        const m = probeRuns.find((r) => r.target === "guard-shm" && r.connections === c);
        return { connections: c, disk: d, tmpfs: m, diskMinusTmpfsP50Ms: d && m ? d.latencyMs.p50 - m.latencyMs.p50 : null, tmpfsOverDiskThroughput: d && m ? m.rps / d.rps : null };
      });
      result.storageProbe = {
        what: "the guard with its Durable Object's SQLite on disk vs on tmpfs (/dev/shm), same bundle and config, alternating turns, smallest prompt",
        size,
        runs: probeRuns,
        summary: rows.map((r) => ({ connections: r.connections, diskRps: r.disk?.rps, tmpfsRps: r.tmpfs?.rps, diskP50Ms: r.disk?.latencyMs.p50, tmpfsP50Ms: r.tmpfs?.latencyMs.p50, diskLedgerP50Ms: r.disk?.serverTiming.ledger?.p50, tmpfsLedgerP50Ms: r.tmpfs?.serverTiming.ledger?.p50, diskMinusTmpfsP50Ms: r.diskMinusTmpfsP50Ms, tmpfsOverDiskThroughput: r.tmpfsOverDiskThroughput })),
      };
      say(
        table(
          ["conn", "disk req/s", "tmpfs req/s", "tmpfs/disk", "disk p50 ms", "tmpfs p50 ms", "disk−tmpfs p50 ms", "ST ledger p50 disk/tmpfs"],
          rows.map((r) => [String(r.connections), f(r.disk?.rps ?? NaN, 0), f(r.tmpfs?.rps ?? NaN, 0), f(r.tmpfsOverDiskThroughput ?? NaN, 2) + "×", f(r.disk?.latencyMs.p50 ?? NaN), f(r.tmpfs?.latencyMs.p50 ?? NaN), f(r.diskMinusTmpfsP50Ms ?? NaN), `${r.disk?.serverTiming.ledger?.p50 ?? "—"}/${r.tmpfs?.serverTiming.ledger?.p50 ?? "—"}`]),
          "lrrrrrrr",
        ),
      );
    }

    // The global-limit scenario, after the main load runs. If it fails, the rest of the run still counts.
    /** @type {Awaited<ReturnType<typeof globalScenario>> | null} */
    let globalRun = null;
    /** @type {string | null} */
    let globalError = null;
    if (opts.global) {
      try {
        globalRun = await globalScenario();
      } catch (err) {
        if (interrupted().aborted) throw err;
        globalError = err instanceof Error ? err.stack ?? err.message : String(err);
        result.global = { error: globalError };
        say(`  the global scenario failed: ${globalError.split("\n")[0]}`);
      }
    }

    // Guard health after the run.
    if (guardWorker) {
      const budget = await oneGet(guardWorker.url, "/v1/budget", { authorization: `Bearer ${key}`, "x-budget-feature": FEATURE });
      const scopes = Array.isArray(budget?.body?.scopes) ? budget.body.scopes : [];
      const reservedLeft = scopes.reduce((n, /** @type {any} */ sc) => n + (Number(sc.reservedUsd) || 0), 0);
      result.guardHealth = {
        workerdLogs: { counts: guardWorker.logs.counts, samples: guardWorker.logs.samples },
        coldStartLogs: cold.logs,
        budgetAfterRun: budget,
        reservedUsdLeftAfterRun: reservedLeft,
        dailySpend: scopes.filter((/** @type {any} */ sc) => sc.window === "daily").map((/** @type {any} */ sc) => `${sc.scope}${sc.id ? ` ${sc.id}` : ""} $${sc.spentUsd}`).join(", "),
        guardResponses: runs.filter((r) => r.target === "guard").reduce((n, r) => n + r.responses, 0),
        nonOkResponses: runs.filter((r) => r.target === "guard").reduce((n, r) => n + r.non2xx + r.errors, 0),
      };
    }
    result.runtimeEvents = {
      passthrough: ptWorker ? { restarts: ptWorker.restarts(), events: ptWorker.events } : null,
      guard: guardWorker ? { restarts: guardWorker.restarts(), events: guardWorker.events } : null,
    };
    result.upstreamStats = await upstream.stats();
    if (ptWorker) result.passthroughLogs = { counts: ptWorker.logs.counts, samples: ptWorker.logs.samples };
    if (portkey) result.portkeyOutputTail = portkey.output().slice(-2000);

    // Report.
    const comparisons = compare(runs);
    result.comparisons = comparisons;
    const vs = verdicts({ runs, comparisons, bundle, coldStart: cold });
    const rows13 = scenarioRows([...runs, ...quietRuns]);
    const vs13 = verdicts13(rows13, baseline, opts.baseline);
    result.scenarios = { allowances: opts.allowances, scenarios: opts.scenarios, baseline: opts.baseline, rows: rows13 };
    if (globalRun) vs.push(globalRun.verdict);
    else if (globalError) vs.push({ id: "global-latency", target: "latency with a global limit within 10% of no global limit (issue 7)", status: "not measured", detail: `the scenario failed: ${globalError.split("\n")[0]}` });
    vs.push(...vs13);
    result.verdicts = vs;
    const large = opts.sizes.filter((s) => s >= opts.largeSize);
    if (runs.length) {
      say("\n• results (latency in ms from exact per-response times; CPU per request of the serving process; ST = the guard's Server-Timing, ms)");
      say(runsTable(runs));
      say("  * fewer than 100 (p99) or 1000 (p99.9) samples: that percentile is close to the maximum, read it as approximate.");
      if (large.length && (opts.largeDuration !== opts.duration || opts.largeConnections.join() !== opts.connections.join())) {
        say(`  (prompts of ≥ ${sizeLabel(opts.largeSize)} tokens: ${opts.largeDuration} s runs at ${opts.largeConnections.join(", ")} connections; others ${opts.duration} s at ${opts.connections.join(", ")})`);
      }
      say("\n• added latency and ratios (guard vs its pass-through floor, Portkey vs direct; differences of percentiles)");
      say(comparisonTable(comparisons));
    }
    say("\n• cold start");
    say(`  guard: first request after start on empty storage ${f(cold.guard.emptyStorage.firstRequest.ms, 1)} ms (${cold.guard.emptyStorage.firstRequest.what}); first LLM request ${f(cold.guard.emptyStorage.firstLlmRequest.ms, 1)} ms`);
    if (cold.guard.freshInstances.instances) say(`  guard: fresh instance → ready ${f(cold.guard.freshInstances.startMsMedian, 0)} ms, first LLM request ${f(cold.guard.freshInstances.firstRequestMsMedian, 1)} ms (median of ${cold.guard.freshInstances.instances}), second ${f(cold.guard.freshInstances.secondRequestMsMedian, 1)} ms`);
    say(`  pass-through: fresh instance → ready ${f(cold.passthrough.startMs, 0)} ms, first request ${f(cold.passthrough.firstMs, 1)} ms, second ${f(cold.passthrough.secondMs, 1)} ms`);
    say(`  tokenizer on the common path: ${cold.tokenizer.constructedOnCommonPath}`);
    if (globalRun) {
      say("\n• global limit (issue 7): GlobalLedger calls and latency, B (global limit) vs A (none); turns pooled per phase; ST = Server-Timing, ms");
      say(globalReport(globalRun.result));
    }
    say(`\n• issue 13 scenarios (allowances ${opts.allowances}): guard vs the pass-through of the same cell; RPCs and rows = the tenant object's stats() over the guard's measured turns ÷ requests served in them`);
    say(scenarioTable(rows13));
    const vs8 = vs.filter((v) => !vs13.includes(v));
    say(`\n• targets of issue 8${globalRun ? " (and issue 7's global-limit latency, last)" : ""} (reported, not asserted)`);
    say(verdictLines(vs8));
    say(`\n• targets of issue 13 (allowances ${opts.allowances}; reported, not asserted)`);
    say(verdictLines(vs13));
    const gh = result.guardHealth;
    if (gh) {
      const errs = Object.entries(gh.workerdLogs.counts).map(([k, v]) => `${v} ${k}`).join(", ") || "none";
      say(`\n• guard health: ${gh.guardResponses} responses under load, ${gh.nonOkResponses} non-2xx/errors; workerd log lines: ${errs}; daily spend after the run: ${gh.dailySpend || JSON.stringify(gh.budgetAfterRun).slice(0, 200)}; reserved left: $${gh.reservedUsdLeftAfterRun}`);
      for (const s of gh.workerdLogs.samples.slice(0, 3)) say(`    ${s.slice(0, 300)}`);
    }
    const restartLines = Object.entries(result.runtimeEvents ?? {}).filter(([, v]) => v && v.restarts > 0);
    for (const [name, v] of restartLines) {
      say(`\n• ${name}: Miniflare restarted a crashed Workers runtime ${v.restarts}× during the run (${v.events.map((/** @type {any} */ e) => e.at.slice(11, 19)).join(", ")} UTC); affected turns were discarded and re-run (see discardedAttempts in the JSON).`);
    }
    const noisy = runs.filter((r) => r.foreignCpuPct > 25);
    if (noisy.length) say(`\n  note: in ${noisy.length}/${runs.length} runs other processes on this machine used > 25% of a core (max ${f(Math.max(...noisy.map((r) => r.foreignCpuPct)), 0)}%); compare within a size × connections group.`);
  } catch (err) {
    exitCode = 1;
    result.error = err instanceof Error ? err.stack ?? err.message : String(err);
    process.stderr.write(`\nbench failed: ${result.error}\n`);
  } finally {
    say("\n• stopping everything the bench started");
    await cleanup();
    result.finishedAt = new Date().toISOString();
    result.wallSeconds = Math.round((performance.now() - t0) / 100) / 10;
    if (result.runs || result.global || result.error) {
      const out = resolve(ROOT, opts.out);
      writeJson(out, tidy(result));
      say(`wrote ${out}${result.error ? " (partial: the run failed)" : ""}`);
      if (opts.copyTo && !result.error) {
        const copy = resolve(ROOT, opts.copyTo);
        writeJson(copy, tidy(result));
        say(`wrote ${copy}`);
      }
      if (opts.mergeInto && result.global && !result.error) {
        const into = resolve(ROOT, opts.mergeInto);
        try {
          mergeGlobalInto(into, result);
          say(`merged the global scenario's result and verdict into ${into}`);
        } catch (err) {
          exitCode = 1;
          process.stderr.write(`bench: could not merge into ${into}: ${err instanceof Error ? err.message : String(err)}\n`);
        }
      }
    }
    say(`done in ${result.wallSeconds} s`);
    // (Here, not after the block: --only=global returns from the try block early.)
    process.exitCode = exitCode;
  }
}

/**
 * Prints the tables and verdicts of a saved result file.
 * @param {string} path
 */
function printSaved(path) {
  const r = JSON.parse(readFileSync(path, "utf8"));
  say(`${path}: ${r.startedAt}, ${r.options?.quick ? "quick" : "full"} run, ${r.wallSeconds} s`);
  say(`machine: ${r.machine.cpuModel}, ${r.machine.cores} cores, ${r.machine.memoryMiB} MiB, ${r.machine.os}, Node ${r.machine.node}`);
  say(`versions: guard ${r.versions.guard}${r.versions.git?.commit ? ` (${r.versions.git.commit.slice(0, 12)})` : ""}, wrangler ${r.versions.wrangler}, miniflare ${r.versions.miniflare}, workerd ${r.versions.workerd}, @portkey-ai/gateway ${r.versions.portkeyGateway}`);
  if (r.runs) {
    say("\n• results");
    say(runsTable(r.runs));
  }
  if (r.comparisons) {
    say("\n• added latency and ratios");
    say(comparisonTable(r.comparisons));
  }
  if (r.storageProbe) {
    say(`\n• ledger storage probe (${sizeLabel(r.storageProbe.size)}-token prompt): DO storage on disk vs tmpfs`);
    say(
      table(
        ["conn", "disk req/s", "tmpfs req/s", "tmpfs/disk", "disk p50 ms", "tmpfs p50 ms", "disk−tmpfs p50 ms", "ST ledger p50 disk/tmpfs"],
        r.storageProbe.summary.map((/** @type {any} */ x) => [String(x.connections), f(x.diskRps, 0), f(x.tmpfsRps, 0), f(x.tmpfsOverDiskThroughput, 2) + "×", f(x.diskP50Ms), f(x.tmpfsP50Ms), f(x.diskMinusTmpfsP50Ms), `${x.diskLedgerP50Ms ?? "—"}/${x.tmpfsLedgerP50Ms ?? "—"}`]),
        "lrrrrrrr",
      ),
    );
  }
  if (r.coldStart) {
    const c = r.coldStart;
    say("\n• cold start");
    say(`  guard, empty storage: ready ${f(c.guard.emptyStorage.startMs, 0)} ms; first request (${c.guard.emptyStorage.firstRequest.what}) ${f(c.guard.emptyStorage.firstRequest.ms, 1)} ms; first LLM request ${f(c.guard.emptyStorage.firstLlmRequest.ms, 1)} ms`);
    if (c.guard.freshInstances.instances) say(`  guard, fresh instance (median of ${c.guard.freshInstances.instances}): ready ${f(c.guard.freshInstances.startMsMedian, 0)} ms; first LLM request ${f(c.guard.freshInstances.firstRequestMsMedian, 1)} ms (workerd CPU ${f(c.guard.freshInstances.firstRequestCpuMsMedian, 0)} ms, RSS +${f(c.guard.freshInstances.rssDeltaKbMax / 1024, 1)} MiB max); second ${f(c.guard.freshInstances.secondRequestMsMedian, 1)} ms`);
    say(`  pass-through, fresh instance: ready ${f(c.passthrough.startMs, 0)} ms; first request ${f(c.passthrough.firstMs, 1)} ms; second ${f(c.passthrough.secondMs, 1)} ms`);
    say(`  tokenizer on the common path: ${c.tokenizer.constructedOnCommonPath}`);
  }
  if (r.bundle) say(`\n• bundle: ${f(r.bundle.rawBytes / 1048576, 2)} MiB raw, ${f(r.bundle.gzipBytes / 1048576, 2)} MiB gzip`);
  if (r.global?.error) say(`\n• global limit (issue 7): the scenario failed: ${String(r.global.error).split("\n")[0]}`);
  else if (r.global) {
    const m = r.global.measuredSeparately;
    say(`\n• global limit (issue 7)${m ? ` — measured separately: ${m.startedAt}, commit ${String(m.commit ?? "?").slice(0, 12)}, ${m.wallSeconds} s` : ""}`);
    say(globalReport(r.global));
  }
  if (r.scenarios?.rows?.length) {
    say(`\n• issue 13 scenarios (allowances ${r.scenarios.allowances})`);
    say(scenarioTable(r.scenarios.rows));
  }
  if (r.verdicts) {
    say("\n• targets");
    say(verdictLines(r.verdicts));
  }
  if (r.error) say(`\nthe run failed: ${r.error}`);
}

/**
 * @param {string} url
 * @param {string} path
 * @param {Record<string, string>} headers
 */
async function oneGet(url, path, headers) {
  try {
    const res = await fetch(url + path, { headers });
    const text = await res.text();
    try {
      return { status: res.status, body: JSON.parse(text) };
    } catch {
      return { status: res.status, body: text.slice(0, 2000) };
    }
  } catch (err) {
    return { error: String(err) };
  }
}

await main();
