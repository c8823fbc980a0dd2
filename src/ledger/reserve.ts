/**
 * The reserve RPC step: authenticate, attribute, make sure the tenant's
 * global lease is fresh, then run the decision ({@link reserveTx}) in one
 * transaction, asking the GlobalLedger for a bigger lease and retrying when
 * only the lease is short. Alerts the decision queued are planned after it.
 */
import { GLOBAL_NAME } from "../global/global-ledger";
import { tenant } from "./admin";
import { foldAlone, foldFlush } from "./allowances-flush";
import { scheduleAlarm } from "./alarm";
import { BACKGROUND_DEADLINE_MS, HOLD_MARGIN_MS } from "./background";
import { burstPools } from "./bursts";
import { contextTokens } from "./contexts";
import { idempotencyKeyReused, type Denied } from "./denials";
import { GlobalLeaseHolder } from "./global-lease";
import { attribute, authDenied, authenticate } from "./keys";
import { expectedOutput } from "./output";
import { adjustmentsOf } from "./reallocations";
import { reserveTx, type Attribution, type ReserveTxResult } from "./reserve-tx";
import { afterAlerts } from "./scheduler";
import type { Ledger } from "./state";
import type { TenantRow } from "./storage";
import type { ReserveRequest, ReserveResult } from "./types";

/** Reservations outlive the upstream timeouts (2 min, 10 min for streams) by a minute. */
const RESERVATION_TTL_MS = { plain: 3 * 60_000, stream: 11 * 60_000 };

/** The tenant's global lease holder, made on first use. */
export function globalHolder(l: Ledger, tenantId: string): GlobalLeaseHolder {
  if (!l.state.lease) l.state.lease = new GlobalLeaseHolder(tenantId, () => l.env.GLOBAL_LEDGER.getByName(GLOBAL_NAME));
  return l.state.lease;
}

/**
 * Authenticates a key hash and attributes the call like every budget path
 * (reserve, budget, allowances): the tenant and who the call is for, or the
 * denial. A frozen tenant is refused unless `frozenOk` (reading the budget is).
 */
export function admit(
  l: Ledger,
  req: { keyHash: string; userId: string | null; bodyUserId?: string | null; feature: string | null },
  now: number,
  frozenOk = false,
): { tenant: TenantRow; who: Required<Attribution> } | { denied: Denied } {
  const auth = authenticate(l, req.keyHash, now);
  if (!auth.ok) return { denied: authDenied(auth) };
  const t = tenant(l);
  if (!t) return { denied: authDenied({ throttled: false }) };
  if (t.frozen && !frozenOk) {
    return {
      denied: {
        status: "denied",
        httpStatus: 429,
        code: "tenant_frozen",
        message: `This tenant is frozen after a spend spike (${t.frozen.reason}); an admin must unfreeze it (POST /admin/v1/tenants/${t.tenantId}/unfreeze).`,
      },
    };
  }
  const who = attribute(auth.key, req);
  return "denied" in who ? who : { tenant: t, who };
}

/** Attributes, prices, checks every scope and reserves in all of them atomically, or in none. */
export async function reserve(l: Ledger, req: ReserveRequest): Promise<ReserveResult> {
  const now = Date.now();
  const admitted = admit(l, req, now);
  if ("denied" in admitted) return foldAlone(l, req.allowanceFlush, now, admitted.denied);
  const { tenant: t, who } = admitted;

  const holder = globalHolder(l, t.tenantId);
  await holder.ensure(now);
  // A background job's hold outlives its polling deadline, so only the deadline (at the ceiling) ends it.
  const ttlMs = req.ttlMs ?? (req.background
    ? BACKGROUND_DEADLINE_MS + HOLD_MARGIN_MS
    : req.streaming
      ? RESERVATION_TTL_MS.stream
      : RESERVATION_TTL_MS.plain);
  let alertsQueued = false;
  let fold = req.allowanceFlush;
  const attempt = (canGrowLease: boolean): ReserveTxResult =>
    l.ctx.storage.transactionSync(() => {
      // The subject's own allowance batch lands and its hold shrinks first, in this transaction (once).
      if (fold) alertsQueued = foldFlush(l, fold, now) || alertsQueued;
      fold = undefined;
      // Checked inside the transaction: two concurrent retries cannot both pass it.
      const dup = req.idempotent ? duplicate(l, req) : null;
      if (dup) return dup;
      const view = holder.view();
      const out = reserveTx({
        store: l.store,
        tenantId: t.tenantId,
        config: t.config,
        who,
        req,
        now,
        expectedOutput: (model, max) => expectedOutput(l, model, max, t.config.minOutputTokens),
        ttlMs,
        global: view.kind === "window" ? view.window : null,
        canGrowLease,
        contextTokens: (refs) => contextTokens(l.contexts, refs),
        adjustments: adjustmentsOf(l),
        pools: () => burstPools(l),
      });
      alertsQueued ||= out.alertsQueued;
      const r = out.result;
      // Spend from the lease in the same synchronous turn as the decision: no other reserve can interleave.
      if (r.status === "allowed") holder.consume(r.reservationId, r.amount, now);
      // The context this call reused, so its settlement records only what it added on top.
      if (r.status === "allowed" && req.context?.length) {
        const found = contextTokens(l.contexts, req.context);
        l.contexts.noteUse(r.reservationId, "tokens" in found ? found.tokens : 0, now);
      }
      return r;
    });

  const view = holder.view();
  if (view.kind === "blocked") {
    return foldAlone(l, fold, now, {
      status: "denied",
      httpStatus: 429,
      code: "global_blocked",
      message: "The operator has paused all LLM traffic through this guard.",
    });
  }
  if (view.kind === "unavailable") {
    return foldAlone(l, fold, now, {
      status: "denied",
      httpStatus: 503,
      code: "global_ledger_unavailable",
      message: "The global budget could not be checked, so the call was not made. Retry shortly.",
    });
  }
  let result = attempt(true);
  for (let tries = 0; result.status === "global_short" && tries < 3; tries++) {
    await holder.acquire(now, result.needed);
    result = attempt(tries < 2);
  }
  if (result.status === "global_short") throw new Error("unreachable: lease growth not allowed on retry");

  // An idle lease goes back before it expires (else it would count as spent): the alarm returns it.
  const returnAt = holder.returnAt();
  if (returnAt !== null) await scheduleAlarm(l, returnAt);
  if (result.status === "allowed") {
    await scheduleAlarm(l, now + ttlMs);
    // Top the lease up before it runs out, off this request's path.
    if (holder.low()) void holder.acquire(now, 0);
  }
  await afterAlerts(l, now, alertsQueued);
  return result;
}

/**
 * A retry of a request with the same Idempotency-Key: the cached answer if it
 * completed, a conflict while it runs; a retry after an upstream failure
 * (released, nothing spent) runs again. The key is scoped to the request's
 * fingerprint (key, user, feature, route, body): another request under it is a 422.
 */
function duplicate(l: Ledger, req: ReserveRequest): ReserveResult | null {
  const id = req.requestId;
  const r = l.store.reservation(id);
  if (!r) return null;
  if ((r.fingerprint ?? null) !== (req.fingerprint ?? null)) return idempotencyKeyReused();
  if (r.state === "released") {
    l.store.deleteReservation(id);
    return null;
  }
  const replay = r.state === "settled" ? (l.store.replay(id) ?? null) : null;
  return { status: "duplicate", state: r.state, replay };
}

/** The GlobalLedger pulls this tenant's lease back; returns what was unspent. */
export function revokeGlobalLease(l: Ledger, leaseId: string): number {
  const t = tenant(l);
  return t ? globalHolder(l, t.tenantId).revoke(leaseId) : 0;
}
