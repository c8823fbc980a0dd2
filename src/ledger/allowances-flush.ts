/**
 * An allowance's batch coming back (`flushAllowance`, or folded into a reserve
 * as `ReserveRequest.allowanceFlush`), and its end at expiry. One transaction
 * per batch: the counters move in one multi-row upsert (spent += Σcost,
 * requests += n, reserved by the change of hold), the hold is consumed and,
 * when renewed, re-sized after re-authenticating the key and re-reading the
 * limits — so a revoked key, a lowered limit, a frozen or deleted tenant or a
 * changed global limit reaches a busy subject within one renewal (≤ 1 s).
 *
 * Expiry (the alarm, 2 s after `expires_at`): an allowance not renewed counts
 * as fully spent (never under-count); a late batch consumes that credit
 * before it adds spend.
 */
import { hourOf } from "../alerts/detect";
import { anomalyCheckSoon, scheduleAlarm } from "./alarm";
import { queueThresholdAlerts } from "./alerts";
import { ALLOWANCE_LIFETIME_MS, EXPIRY_GRACE_MS, sliceFor, snapshotOf, subjectView } from "./allowances";
import type { AllowanceRecord, FlushRequest, FlushResult } from "./allowances-types";
import { tenant } from "./admin";
import type { GlobalLeaseHolder } from "./global-lease";
import { learnOutput } from "./output";
import { globalHolder } from "./reserve";
import type { Attribution } from "./reserve-tx";
import { attribute } from "./keys";
import { afterAlerts } from "./scheduler";
import { scopeKey } from "./scopes";
import { outputSample } from "./settle";
import type { Ledger } from "./state";
import { AllowanceStore, type AllowanceRow } from "./storage/allowances";
import { rollupBatch } from "./storage/rollups";
import type { TenantRow } from "./storage";

/** Rows expired per alarm pass at most. */
const EXPIRE_BATCH = 500;
/** Closed allowance rows are kept this long for late batches (a stream decided locally may end 10 minutes on). */
const KEEP_CLOSED_MS = 24 * 3600_000;

/** What the object knows about the subject when a batch arrives: who it is now, or why it may hold no more. */
type Standing = { ok: true; t: TenantRow; who: Required<Attribution>; holder: GlobalLeaseHolder } | { ok: false; reason: string };

/** Re-checks the key and the tenant (no auth failure counted: a flush is not a guess). */
export function standing(l: Ledger, row: AllowanceRow, keyHash: string, now: number): Standing {
  const t = tenant(l);
  if (!t) return { ok: false, reason: "tenant_deleted" };
  if (t.frozen) return { ok: false, reason: "tenant_frozen" };
  const k = l.state.keys.get(keyHash) ?? l.store.keyByHash(keyHash);
  if (!k || k.revoked_at !== null || (k.expires_at !== null && k.expires_at <= now)) return { ok: false, reason: "key_revoked" };
  const who = attribute(k, { userId: row.user_id, bodyUserId: row.user_id, feature: row.feature });
  if ("denied" in who) return { ok: false, reason: who.denied.code };
  return { ok: true, t, who, holder: globalHolder(l, t.tenantId) };
}

/**
 * Moves the allowance's share of the tenant's global lease from `oldHold` to
 * `cost + newHold`. When the old hold sits on the lease held now, only the
 * difference moves; when it sat on an earlier lease (or on none: no global
 * limit then), that lease ended counting it as spent, and the new hold is
 * drawn from the current lease in full.
 */
function leaseMove(
  holder: GlobalLeaseHolder | null,
  id: string,
  onLease: boolean,
  oldHold: number,
  cost: number,
  newHold: number,
  now: number,
): void {
  if (!holder) return;
  const delta = onLease ? cost + newHold - oldHold : Math.max(0, cost - oldHold) + newHold;
  if (delta > 0) holder.consume(id, delta, now);
  else if (delta < 0) {
    holder.refund(id, -delta);
    // Keep the allowance charged to its lease for the next batch.
    holder.consume(id, 0, now);
  }
}

/**
 * Applies one batch inside the caller's transaction; returns the answer for
 * the isolate and whether threshold alerts were queued.
 */
export function flushTx(l: Ledger, req: FlushRequest, st: Standing | null, now: number): { result: FlushResult; alertsQueued: boolean } {
  const store = new AllowanceStore(l.sql);
  const row = store.get(req.allowanceId);
  // Unknown, or claimed by another key: nothing is applied.
  if (!row || row.key_hash !== req.keyHash) return { result: { revoked: "unknown" }, alertsQueued: false };
  const keys = JSON.parse(row.counters) as [string, string][];
  const cost = req.records.reduce((a, r) => a + r.cost, 0);
  const n = req.records.length;
  const holder = st?.ok ? st.holder : l.state.lease;
  writeRecords(l, row, req.records, cost, now);

  if (row.state !== "open") {
    // Late: the expired hold was counted as spent; the batch uses that credit before adding spend.
    const covered = Math.min(cost, row.credit);
    if (cost - covered > 0 || n > 0) l.store.bumpAll(keys, { spent: cost - covered, requests: n });
    leaseMove(holder ?? null, `late:${row.id}`, false, 0, cost - covered, 0, now);
    store.update({ ...row, settled: row.settled + cost, credit: row.credit - covered });
    return { result: { revoked: row.state }, alertsQueued: false };
  }

  if (req.seq <= row.seq) {
    // Overtaken by a later batch, which set the hold: this one only adds its records (spent from the old hold).
    if (cost > 0 || n > 0) l.store.bumpAll(keys, { spent: cost, requests: n });
    leaseMove(holder ?? null, row.id, false, 0, cost, 0, now);
    store.update({ ...row, settled: row.settled + cost });
    return { result: { revoked: "superseded" }, alertsQueued: false };
  }
  const inflight = Math.max(0, Math.floor(req.inflight));
  let hold = inflight;
  let reason: string | null = req.renew ? null : "returned";
  let grant: FlushResult | null = null;
  let newKeys = keys;
  let alertsQueued = false;
  // Whether this hold is part of the lease held now (else it is not in the global window either).
  const onLease = holder?.chargedNow(row.id) ?? false;
  if (st && !st.ok) reason = st.reason;
  if (st?.ok && req.sample) {
    const v = subjectView(l, st.t, st.who, req.sample, st.holder, now, req.models);
    if (!v) reason = reason ?? "no_price";
    else {
      // The windows as if this allowance held nothing: its old hold leaves, its batch lands.
      const own = new Set(keys.map(([s, w]) => `${s}\u0000${w}`));
      for (const w of v.windows) {
        if (w.scope.kind === "global") w.spent = onLease ? w.spent - row.hold + cost : w.spent + Math.max(0, cost - row.hold);
        else if (own.has(`${scopeKey(w.scope)}\u0000${w.key}`)) {
          w.reserved -= row.hold;
          w.spent += cost;
        }
      }
      // The slice comes on top of what is still in flight; only a renewal gets one.
      const sizing = v.windows.map((w) => ({ ...w, reserved: w.reserved + inflight }));
      const slice = req.renew ? sliceFor(sizing, Math.max(0, store.openCount() - 1), v.ceiling, req.ratePerSec) : 0;
      if (req.renew && slice === 0) reason = "near_limit";
      hold = inflight + slice;
      newKeys = v.counterKeys;
      // The snapshot's windows exclude this hold: the isolate adds what it has in flight and settled since.
      if (slice > 0) grant = { grant: snapshotOf(row.id, hold, now + ALLOWANCE_LIFETIME_MS, st.who, v, st.t) };
      // Soft-limit and tenant-90% alerts for what the batch spent (the header fired at the request itself).
      alertsQueued = queueThresholdAlerts({
        store: l.store,
        tenantId: st.t.tenantId,
        cfg: st.t.config,
        states: v.windows,
        amount: inflight,
        now,
      });
    }
  }
  // A renewing isolate keeps deciding under its old grant until this answer arrives: keep that covered
  // (less this batch) until its next batch reports what is really in flight. One that stopped deciding
  // before it sent (a return, a fold) is held at what it says is in flight.
  const held = req.renew ? Math.max(hold, row.granted - cost) : hold;
  moveCounters(l, keys, newKeys, row.hold, held, cost, n);
  leaseMove(holder ?? null, row.id, onLease, row.hold, cost, held, now);
  const state = held === 0 && reason !== null ? "returned" : "open";
  store.update({
    ...row,
    counters: JSON.stringify(newKeys),
    hold: held,
    granted: hold,
    seq: req.seq,
    settled: row.settled + cost,
    expires_at: now + ALLOWANCE_LIFETIME_MS,
    state,
  });
  return { result: grant ?? { revoked: reason ?? "near_limit" }, alertsQueued };
}

/** Spend and requests land where the hold was; the hold moves to the current windows (a new day, a new scope). */
function moveCounters(
  l: Ledger,
  oldKeys: [string, string][],
  newKeys: [string, string][],
  oldHold: number,
  newHold: number,
  cost: number,
  n: number,
): void {
  const same = oldKeys.length === newKeys.length && oldKeys.every(([s, w], i) => newKeys[i]?.[0] === s && newKeys[i]?.[1] === w);
  if (same) {
    if (cost !== 0 || n !== 0 || newHold !== oldHold) l.store.bumpAll(oldKeys, { spent: cost, reserved: newHold - oldHold, requests: n });
    return;
  }
  l.store.bumpAll(oldKeys, { spent: cost, reserved: -oldHold, requests: n });
  if (newHold > 0) l.store.bumpAll(newKeys, { reserved: newHold });
}

/** Per-request detail of a batch: its hourly rollup rows (one per distinct key), the hourly spend, the learned output estimate. */
function writeRecords(l: Ledger, row: AllowanceRow, records: readonly AllowanceRecord[], cost: number, now: number): void {
  if (records.length === 0) return;
  const keys = JSON.parse(row.counters) as [string, string][];
  const day = keys.find(([, w]) => w.startsWith("day:"))?.[1] ?? "";
  const month = keys.find(([, w]) => w.startsWith("month:"))?.[1] ?? "";
  rollupBatch(
    l.sql,
    records.map((r) => ({ ...r, day, month, userId: row.user_id, feature: row.feature })),
  );
  l.store.bumpHour(hourOf(now), cost);
  // Samples per model, oldest first: one output_samples row written per model however many records.
  const byModel = new Map<string, number[]>();
  for (const r of records) {
    const usage = {
      inputTokens: r.inputTokens,
      cachedInputTokens: r.cachedTokens,
      cacheWriteTokens: r.cacheWriteTokens,
      outputTokens: r.outputTokens,
    };
    const s = outputSample({ output_cap: r.outputCap, choices: r.choices }, { outcome: r.outcome, usage });
    if (s === null) continue;
    const list = byModel.get(r.model) ?? [];
    list.push(s);
    byModel.set(r.model, list);
  }
  for (const [model, list] of byModel) learnOutput(l, model, ...list);
}

/** `flushAllowance`: applies the batch, renews or shrinks the hold, and says what the isolate may do next. */
export async function flushAllowance(l: Ledger, req: FlushRequest): Promise<FlushResult> {
  const now = Date.now();
  if (!l.state.schemaReady) return { revoked: "unknown" };
  const store = new AllowanceStore(l.sql);
  const row = store.get(req.allowanceId);
  if (!row) return { revoked: "unknown" };
  const st = standing(l, row, req.keyHash, now);
  if (st.ok && req.renew) await st.holder.ensure(now);
  const out = l.ctx.storage.transactionSync(() => flushTx(l, req, st, now));
  await afterBatch(l, now, req, out.alertsQueued);
  return out.result;
}

/** After a batch: look for spikes soon, deliver alerts, wake at the next expiry. */
export async function afterBatch(l: Ledger, now: number, req: FlushRequest, alertsQueued: boolean): Promise<void> {
  if (req.records.length > 0) await anomalyCheckSoon(l, now);
  await afterAlerts(l, now, alertsQueued);
  await afterHold(l, now);
}

/**
 * After a hold moved: the alarm wakes for the next allowance expiry and to return an idle global
 * lease, and a lease running low is topped up off the request path (as after a reserve).
 */
export async function afterHold(l: Ledger, now: number): Promise<void> {
  const next = new AllowanceStore(l.sql).nextExpiry();
  if (next !== null) await scheduleAlarm(l, next + EXPIRY_GRACE_MS);
  const lease = l.state.lease;
  const returnAt = lease?.returnAt() ?? null;
  if (returnAt !== null) await scheduleAlarm(l, returnAt);
  if (lease?.low()) void lease.acquire(now, 0);
}

/** The reserve path's fold (inside its transaction): the subject's own batch lands and its hold shrinks first. */
export function foldFlush(l: Ledger, req: FlushRequest, now: number): boolean {
  const store = new AllowanceStore(l.sql);
  const row = store.get(req.allowanceId);
  if (!row) return false;
  return flushTx(l, { ...req, renew: false }, standing(l, row, req.keyHash, now), now).alertsQueued;
}

/** A reserve refused before its transaction still applies the subject's batch (never lose a record); returns `result`. */
export function foldAlone<T>(l: Ledger, req: FlushRequest | undefined, now: number, result: T): T {
  if (req && l.state.schemaReady) l.ctx.storage.transactionSync(() => foldFlush(l, req, now));
  return result;
}

/** The alarm's step (inside its transaction): allowances past expiry + grace count as fully spent. */
export function expireAllowances(l: Ledger, now: number): number {
  const store = new AllowanceStore(l.sql);
  const lapsed = store.lapsed(now - EXPIRY_GRACE_MS, EXPIRE_BATCH);
  for (const row of lapsed) {
    const keys = JSON.parse(row.counters) as [string, string][];
    // Never under-count: the isolate may have spent all of it. The lease keeps it consumed too.
    if (row.hold > 0) l.store.bumpAll(keys, { spent: row.hold, reserved: -row.hold });
    store.update({ ...row, hold: 0, credit: row.credit + row.hold, state: "expired" });
  }
  store.prune(now - KEEP_CLOSED_MS);
  return lapsed.length;
}

/** When the alarm must next expire an allowance, or null. */
export function nextAllowanceExpiry(l: Ledger): number | null {
  const t = new AllowanceStore(l.sql).nextExpiry();
  return t === null ? null : t + EXPIRY_GRACE_MS;
}
