/**
 * Cold start: how long the first requests take after a Worker starts.
 *
 *   1. The guard on empty storage: instance start → ready, then the first
 *      request it ever serves (the operator's PUT of the tenant: cold isolate,
 *      new Durable Object, schema migration), the rest of the seeding, and the
 *      first LLM request (isolate warmed by the admin calls only).
 *   2. N fresh guard instances on that seeded storage: start → ready, the first
 *      LLM request (cold isolate, the tenant object loaded from disk, key
 *      verification cache empty) and the second one for comparison, with the
 *      workerd RSS and CPU taken by the first request.
 *   3. One fresh pass-through instance, the same way (the floor).
 *
 * Evidence that no tokenizer is built on the common path: js-tiktoken's o200k
 * encoder takes ~1.1 s and ~67 MB to construct, so a first LLM request far
 * below that time and memory growth did not construct it.
 */
import { cpuMs, rssKb } from "./procs.mjs";
import { median } from "./stats.mjs";
import { parseServerTiming } from "./load.mjs";
import { guardBindings, guardHeaders, oneRequest, seedGuard, startWorker } from "./targets.mjs";

/**
 * @param {object} o
 * @param {string} o.bundlePath
 * @param {Record<string, any>} o.base
 * @param {string} o.passthroughPath
 * @param {string} o.upstreamUrl
 * @param {string} o.persistDir
 * @param {string} o.adminToken
 * @param {string} o.guardBody
 * @param {string} o.plainBody
 * @param {number} o.instances
 * @param {(line: string) => void} o.log
 */
export async function measureColdStart(o) {
  // 1. Empty storage.
  const first = await startWorker({
    name: "guard",
    scriptPath: o.bundlePath,
    base: o.base,
    bindings: guardBindings(o.base.bindings, o.upstreamUrl, o.adminToken),
    durableObjects: o.base.durableObjects,
    persistDir: o.persistDir,
  });
  const rss0 = rssKb(first.pid);
  const seeded = await seedGuard(first.url, o.adminToken);
  const target = { url: first.url, path: "/v1/chat/completions", headers: guardHeaders(seeded.key) };
  const firstLlm = await oneRequest(target, o.guardBody);
  const secondLlm = await oneRequest(target, o.guardBody);
  const emptyStorage = {
    startMs: first.startMs,
    firstRequest: { what: seeded.calls[0].what, status: seeded.calls[0].status, ms: seeded.calls[0].ms },
    seedCalls: seeded.calls,
    firstLlmRequest: { status: firstLlm.status, ms: firstLlm.ms, serverTiming: parseServerTiming(firstLlm.headers["server-timing"]) },
    secondLlmRequest: { status: secondLlm.status, ms: secondLlm.ms, serverTiming: parseServerTiming(secondLlm.headers["server-timing"]) },
    rssKbAtReady: rss0,
    rssKbAfter: rssKb(first.pid),
    errors: firstLlm.status !== 200 ? [firstLlm.text.slice(0, 300)] : [],
  };
  o.log(
    `  guard, empty storage: ready in ${first.startMs.toFixed(0)} ms; first request (${emptyStorage.firstRequest.what}) ${emptyStorage.firstRequest.ms.toFixed(1)} ms; ` +
      `first LLM request ${firstLlm.ms.toFixed(1)} ms (${firstLlm.status}), second ${secondLlm.ms.toFixed(1)} ms`,
  );
  const logs = { counts: first.logs.counts, samples: first.logs.samples };
  await first.stop();

  // 2. Fresh instances on seeded storage.
  const fresh = [];
  for (let i = 0; i < o.instances; i++) {
    const w = await startWorker({
      name: "guard",
      scriptPath: o.bundlePath,
      base: o.base,
      bindings: guardBindings(o.base.bindings, o.upstreamUrl, o.adminToken),
      durableObjects: o.base.durableObjects,
      persistDir: o.persistDir,
    });
    const rssBefore = rssKb(w.pid);
    const cpuBefore = cpuMs(w.pid);
    const r1 = await oneRequest({ url: w.url, path: target.path, headers: target.headers }, o.guardBody);
    const cpuFirst = cpuMs(w.pid) - cpuBefore;
    const rssAfter = rssKb(w.pid);
    const r2 = await oneRequest({ url: w.url, path: target.path, headers: target.headers }, o.guardBody);
    fresh.push({
      startMs: w.startMs,
      firstStatus: r1.status,
      firstMs: r1.ms,
      firstServerTiming: parseServerTiming(r1.headers["server-timing"]),
      firstCpuMs: cpuFirst,
      secondStatus: r2.status,
      secondMs: r2.ms,
      rssKbBefore: rssBefore,
      rssKbAfterFirst: rssAfter,
      rssDeltaKb: rssAfter - rssBefore,
      error: r1.status !== 200 ? r1.text.slice(0, 300) : null,
    });
    for (const [k, v] of Object.entries(w.logs.counts)) logs.counts[k] = (logs.counts[k] ?? 0) + v;
    logs.samples.push(...w.logs.samples.slice(0, 3));
    await w.stop();
  }
  const freshSummary = {
    instances: fresh.length,
    startMsMedian: median(fresh.map((f) => f.startMs)),
    firstRequestMsMedian: median(fresh.map((f) => f.firstMs)),
    firstRequestMsMax: Math.max(...fresh.map((f) => f.firstMs)),
    secondRequestMsMedian: median(fresh.map((f) => f.secondMs)),
    firstRequestCpuMsMedian: median(fresh.map((f) => f.firstCpuMs)),
    rssDeltaKbMax: Math.max(...fresh.map((f) => f.rssDeltaKb)),
    runs: fresh,
  };
  if (fresh.length) {
    o.log(
      `  guard, fresh instance on seeded storage (×${fresh.length}): ready in ${freshSummary.startMsMedian.toFixed(0)} ms; first LLM request ${freshSummary.firstRequestMsMedian.toFixed(1)} ms ` +
        `(max ${freshSummary.firstRequestMsMax.toFixed(1)}; workerd CPU ${freshSummary.firstRequestCpuMsMedian.toFixed(0)} ms, RSS +${(freshSummary.rssDeltaKbMax / 1024).toFixed(1)} MiB), second ${freshSummary.secondRequestMsMedian.toFixed(1)} ms`,
    );
  }

  // 3. The floor.
  const pt = await startWorker({
    name: "passthrough",
    scriptPath: o.passthroughPath,
    base: { compatibilityDate: o.base.compatibilityDate, compatibilityFlags: o.base.compatibilityFlags },
    bindings: { UPSTREAM_URL: o.upstreamUrl },
  });
  const p1 = await oneRequest({ url: pt.url, path: "/v1/chat/completions", headers: { "content-type": "application/json" } }, o.plainBody);
  const p2 = await oneRequest({ url: pt.url, path: "/v1/chat/completions", headers: { "content-type": "application/json" } }, o.plainBody);
  await pt.stop();
  const passthrough = { startMs: pt.startMs, firstStatus: p1.status, firstMs: p1.ms, secondStatus: p2.status, secondMs: p2.ms };
  o.log(`  pass-through, fresh instance: ready in ${pt.startMs.toFixed(0)} ms; first request ${p1.ms.toFixed(1)} ms, second ${p2.ms.toFixed(1)} ms`);

  const worstFirst = Math.max(firstLlm.ms, ...fresh.map((f) => f.firstMs));
  const worstRss = Math.max(0, ...fresh.map((f) => f.rssDeltaKb));
  return {
    key: seeded.key,
    guard: { emptyStorage, freshInstances: freshSummary },
    passthrough,
    logs,
    tokenizer: {
      constructionCostReference: "js-tiktoken o200k: ~1.1 s and ~67 MB to construct (DESIGN, measured on Node 22)",
      worstFirstLlmRequestMs: worstFirst,
      worstFirstRequestRssDeltaMiB: worstRss / 1024,
      constructedOnCommonPath: worstFirst > 700 || worstRss > 40 * 1024 ? "suspected (first request too slow or memory grew too much)" : "no (first requests far below the construction time and memory)",
    },
  };
}
