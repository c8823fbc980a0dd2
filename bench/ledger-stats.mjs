/**
 * RPCs served and rows written by one tenant's Durable Object, read through
 * its `stats()` RPC from outside the guard: Miniflare's
 * `getDurableObjectNamespace("TENANT_LEDGER")` hands the bench a stub in the
 * guard's own workerd, so the read never goes through the guard's request
 * path (no HTTP route, no key). The object counts RPCs since it started, so a
 * figure for a measured window is the difference of two readings, minus the
 * reading's own RPC (calibrated once: the object may or may not count
 * `stats()` itself).
 */

/** The binding of the tenant objects in wrangler.toml. */
const BINDING = "TENANT_LEDGER";

/**
 * @typedef {{ rpcs: number, rowsWritten: number }} LedgerCounters
 * @typedef {{ requests: number, rpcs: number, rowsWritten: number, rpcsPerRequest: number, rowsPerRequest: number, restarts: number }} LedgerWindow
 * @typedef {{ read: () => Promise<LedgerCounters | null>, selfRpcs: number, unavailable: string | null, tenant: string }} LedgerStatsReader
 */

/**
 * A reader of one tenant object's counters; `unavailable` says why there are
 * none (e.g. a guard without `stats()`), and `read()` then returns null.
 * @param {any} mf the guard's Miniflare instance
 * @param {string} tenant
 * @returns {Promise<LedgerStatsReader>}
 */
export async function ledgerStatsReader(mf, tenant) {
  /** @type {any} */
  let stub;
  const read = async () => {
    const s = await stub.stats();
    if (!s || !Number.isFinite(s.rpcs) || !Number.isFinite(s.rowsWritten)) throw new Error(`stats() returned ${JSON.stringify(s)}`);
    return { rpcs: Number(s.rpcs), rowsWritten: Number(s.rowsWritten) };
  };
  try {
    const ns = await mf.getDurableObjectNamespace(BINDING);
    stub = ns.get(ns.idFromName(tenant));
    // Back to back, nothing else calls the object (the bench is idle here): the difference is the reading itself.
    const a = await read();
    const b = await read();
    return { read, selfRpcs: b.rpcs - a.rpcs, unavailable: null, tenant };
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    return {
      read: async () => null,
      selfRpcs: 0,
      unavailable: `stats() of tenant ${tenant}'s ${BINDING} object could not be read: ${why.split("\n")[0].slice(0, 200)}`,
      tenant,
    };
  }
}

/**
 * The counters of one measured window: `after − before`, less the reading's
 * own RPC, per request served in the window. A counter that went down means
 * the object restarted (its counters start at 0 again): the window then
 * counts from 0 and `restarts` says so.
 * @param {LedgerCounters} before
 * @param {LedgerCounters} after
 * @param {number} selfRpcs
 * @param {number} requests requests sent in the window (responses and those still in flight when it stopped)
 * @returns {LedgerWindow}
 */
export function ledgerWindow(before, after, selfRpcs, requests) {
  const restarted = after.rpcs < before.rpcs || after.rowsWritten < before.rowsWritten;
  const rpcs = Math.max(0, (restarted ? after.rpcs : after.rpcs - before.rpcs) - selfRpcs);
  const rowsWritten = restarted ? after.rowsWritten : after.rowsWritten - before.rowsWritten;
  return {
    requests,
    rpcs,
    rowsWritten,
    rpcsPerRequest: requests ? rpcs / requests : NaN,
    rowsPerRequest: requests ? rowsWritten / requests : NaN,
    restarts: restarted ? 1 : 0,
  };
}

/**
 * Pools the windows of several turns (sums, then per request).
 * @param {LedgerWindow[]} list
 * @returns {LedgerWindow | null}
 */
export function poolWindows(list) {
  if (!list.length) return null;
  const sum = (/** @type {(w: LedgerWindow) => number} */ g) => list.reduce((n, w) => n + g(w), 0);
  const requests = sum((w) => w.requests);
  const rpcs = sum((w) => w.rpcs);
  const rowsWritten = sum((w) => w.rowsWritten);
  return {
    requests,
    rpcs,
    rowsWritten,
    rpcsPerRequest: requests ? rpcs / requests : NaN,
    rowsPerRequest: requests ? rowsWritten / requests : NaN,
    restarts: sum((w) => w.restarts),
  };
}
