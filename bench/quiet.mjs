/**
 * The many-quiet-subjects scenario (issue 13): the guard's load spread over
 * many users of one tenant, each of them sending rarely, so no subject is
 * ever busy (an isolate deems a subject busy after ≥ 4 requests within 1 s)
 * and every request takes the normal path (one reserve, one settle). It runs
 * on the main guard instance, on its own tenant `bench-quiet`, so its tenant
 * object's counters are its own.
 *
 * The users are named by a `service` key's `X-Budget-User: u-<i>` header,
 * taken in turn across all connections (autocannon's `setupRequest`); the
 * rotation continues across turns, so a later turn does not start over at
 * `u-0`. Each user falls under the tenant's `userDefaults` limit (far above
 * what a run spends), so every request checks a user scope as the hot user's
 * do.
 */
import { runCell } from "./cell.mjs";
import { ledgerStatsReader } from "./ledger-stats.mjs";
import { waitIdle } from "./procs.mjs";
import { FEATURE, GUARD_MODEL, oneRequest } from "./targets.mjs";
import { chatBody } from "./prompts.mjs";

export const QUIET_TENANT = "bench-quiet";

/**
 * Creates the quiet tenant (priced like `bench`, user defaults and a feature
 * with limits) and a `service` key, through the operator admin API.
 * @param {string} url
 * @param {string} adminToken
 * @returns {Promise<string>} the service key
 */
async function seedQuietTenant(url, adminToken) {
  const call = async (/** @type {string} */ method, /** @type {string} */ path, /** @type {unknown} */ body) => {
    const res = await fetch(url + path, {
      method,
      headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`quiet scenario: admin ${method} ${path} → ${res.status}: ${text.slice(0, 500)}`);
    return JSON.parse(text);
  };
  await call("PUT", `/admin/v1/tenants/${QUIET_TENANT}`, {
    name: "Bench tenant, many quiet users",
    limits: { daily: 10_000_000, monthly: 100_000_000 },
    userDefaults: { daily: 1_000_000, monthly: 10_000_000 },
    prices: { [GUARD_MODEL]: { input: 0.15, output: 0.6 } },
  });
  await call("PUT", `/admin/v1/tenants/${QUIET_TENANT}/features/${FEATURE}`, { limits: { daily: 1_000_000, monthly: 10_000_000 } });
  const created = await call("POST", `/admin/v1/tenants/${QUIET_TENANT}/keys`, { name: "bench-quiet", role: "service" });
  if (typeof created.key !== "string")
    throw new Error(`quiet scenario: key creation returned no key: ${JSON.stringify(created).slice(0, 300)}`);
  return created.key;
}

/**
 * Runs the scenario: the pass-through and the guard (quiet tenant) take turns
 * like a matrix cell, at `opts.quietConnections` and the `opts.quietSize`
 * prompt. Returns the two pooled runs (scenario `quiet`), the guard's with
 * its tenant object's RPCs and rows per request.
 * @param {object} o
 * @param {import("./options.mjs").BenchOptions} o.opts
 * @param {{ url: string, mf: any, pids: () => number[], restarts: () => number }} o.guardWorker
 * @param {import("./targets.mjs").Target} o.passthrough
 * @param {string} o.adminToken
 * @param {number} o.upstreamPid
 * @param {import("./prompts.mjs").Prompt} o.prompt
 * @param {(line: string) => void} o.log
 */
export async function runQuietScenario(o) {
  const { opts, guardWorker } = o;
  const key = await seedQuietTenant(guardWorker.url, o.adminToken);
  const headers = { "content-type": "application/json", authorization: `Bearer ${key}`, "x-budget-feature": FEATURE };
  const headerSets = Array.from({ length: opts.quietUsers }, (_, i) => ({ "x-budget-user": `u-${i}` }));
  const check = await oneRequest(
    { url: guardWorker.url, path: "/v1/chat/completions", headers: { ...headers, ...headerSets[0] } },
    chatBody(GUARD_MODEL, o.prompt.text, opts.maxTokens),
  );
  if (check.status !== 200) throw new Error(`quiet scenario: the check request failed: ${check.status} ${check.text.slice(0, 300)}`);
  await waitIdle(() => [...guardWorker.pids(), o.upstreamPid]);
  const ledgerStats = await ledgerStatsReader(guardWorker.mf, QUIET_TENANT);
  if (ledgerStats.unavailable) o.log(`  note: ${ledgerStats.unavailable}; RPCs and rows per request are not reported`);
  /** @type {import("./cell.mjs").CellTarget} */
  const guard = {
    name: "guard",
    url: guardWorker.url,
    path: "/v1/chat/completions",
    headers,
    headerSets,
    headerCursor: { i: 1 },
    model: GUARD_MODEL,
    serverPids: guardWorker.pids,
    restarts: guardWorker.restarts,
    cpuIncludes: "the guard's workerd process (as in the matrix); tenant bench-quiet",
    serverTiming: true,
    ledgerStats,
    stop: async () => {},
  };
  const counter = { i: 0, total: 2 };
  const runs = await runCell({
    opts,
    upstreamPid: o.upstreamPid,
    counter,
    targets: [o.passthrough, guard],
    size: opts.quietSize,
    prompt: o.prompt,
    connections: opts.quietConnections,
    duration: opts.quietDuration,
    large: false,
    scenario: "quiet",
  });
  const served = /** @type {any} */ (runs.find((r) => r.target === "guard"))?.responses ?? 0;
  return {
    tenant: QUIET_TENANT,
    users: opts.quietUsers,
    connections: opts.quietConnections,
    size: opts.quietSize,
    durationSec: opts.quietDuration,
    // Requests a user got in the measured turns, on average (≪ 4 per second: never busy).
    requestsPerUser: served / opts.quietUsers,
    usersReached: Math.min(opts.quietUsers, guard.headerCursor?.i ?? 0),
    ledgerStatsSelfRpcs: ledgerStats.selfRpcs,
    runs,
  };
}
