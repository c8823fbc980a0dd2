/**
 * Application-layer reservations (DESIGN "Application layer"): a hold an
 * application takes before spending outside the guard (a provider SDK called
 * directly, an image or search API), then commits at the real cost or
 * releases. The hold is an ordinary reservation made by `reserve` (every
 * scope, the same limits, soft warnings, alerts and global lease as a proxied
 * call), priced as a fixed amount or from an estimate; the commit is an
 * ordinary settlement (`settleInTx`), so the alarm expires an uncommitted
 * hold like any other, and reports count the spend like any other.
 *
 * Ownership: a reservation may be committed or released by the key that made
 * it, or by a key of the same principal: for a user key, another user key of
 * the same user; for a service key, any service key of the tenant. Anyone
 * else (a user key on a service key's hold, an admin key) gets a 403.
 */
import { loadConfig } from "../config";
import { tenant } from "./admin";
import { anomalyCheckSoon } from "./alarm";
import { reportedAs, usageRates, usageOf } from "./app-pricing";
import type { AppCommitAnswer, AppCommitRequest, AppCommitResult, AppDenied, AppReleaseResult, AppReserveRequest, AppReserveResult } from "./app-types";
import { authDenied, authenticate } from "./keys";
import { reserve } from "./reserve";
import { releaseInTx, settleInTx } from "./settle";
import type { Ledger } from "./state";
import type { ReservationRow } from "./storage";
import { AppLayerStore, type AppReservationRow } from "./storage/app-layer";
import type { SettleRequest } from "./types";

const DAY = 86_400_000;

const deny = (httpStatus: AppDenied["httpStatus"], code: string, message: string, param?: string): AppDenied => ({
  status: "denied",
  httpStatus,
  code,
  message,
  ...(param ? { param } : {}),
});

const notFound = (id: string) => deny(404, "reservation_not_found", `No reservation ${id} for this tenant.`, "id");

/** Reserves an amount or an estimated call in every scope, exactly as a proxied call reserves. */
export async function reserveApp(l: Ledger, req: AppReserveRequest): Promise<AppReserveResult> {
  const res = await reserve(l, {
    requestId: req.id,
    keyHash: req.keyHash,
    userId: req.userId,
    bodyUserId: req.bodyUserId,
    feature: req.feature,
    // An amount needs no price: the reservation row carries the source as its model, for the reports.
    model: req.estimate?.model ?? req.source,
    kind: req.estimate ? "chat" : "embedding",
    inputTokens: req.estimate?.inputTokens ?? 0,
    // The application states its input: there is no fast bound to recount.
    inputExact: true,
    requestedMaxTokens: req.estimate?.maxOutputTokens ?? null,
    idempotent: false,
    finalMessageEligible: false,
    streaming: false,
    fixedCost: req.amount,
    ttlMs: req.ttlMs,
  });
  if (res.status === "blocked" || res.status === "denied") return res;
  if (res.status !== "allowed") {
    return deny(503, "ledger_unavailable", "The budget ledger could not decide this reservation; nothing is held. Retry shortly.");
  }
  const now = Date.now();
  const auth = authenticate(l, req.keyHash, now);
  const store = new AppLayerStore(l.sql);
  const expiresAt = l.ctx.storage.transactionSync(() => {
    const row = l.store.reservation(res.reservationId);
    if (!auth.ok || !row) return null;
    store.insert({
      id: res.reservationId,
      key_id: auth.key.id,
      key_role: auth.key.role,
      key_user: auth.key.user_id,
      source: req.source,
      model: req.estimate ? res.model : null,
      description: req.description,
      metadata: req.metadata ? JSON.stringify(req.metadata) : null,
      created_at: now,
    });
    // Rows outlive their reservations by nothing: both go after the detail retention.
    store.prune(now - loadConfig(l.env).DETAIL_RETENTION_DAYS * DAY);
    return row.expires_at;
  });
  if (expiresAt === null) {
    // The key was revoked between the reserve and here: hold nothing for it.
    l.ctx.storage.transactionSync(() => releaseInTx(l, res.reservationId, now));
    return authDenied({ throttled: false });
  }
  return {
    status: "allowed",
    id: res.reservationId,
    amount: res.amount,
    expiresAt,
    userId: res.userId,
    feature: res.feature,
    source: req.source,
    model: req.estimate ? res.model : null,
    ...(res.degradedFrom ? { degradedFrom: res.degradedFrom } : {}),
    ...(req.estimate ? { maxOutputTokens: res.forwardMaxTokens ?? req.estimate.maxOutputTokens } : {}),
    clamped: res.clamped,
    warnings: res.warnings,
    tightest: res.tightest,
    ...(res.shadowCode ? { shadowCode: res.shadowCode } : {}),
    description: req.description,
    metadata: req.metadata,
  };
}

/** The reservation `id` if the key may act on it, else why not. Runs inside the caller's transaction. */
function owned(l: Ledger, keyHash: string, id: string, now: number): { app: AppReservationRow; r: ReservationRow } | AppDenied {
  const auth = authenticate(l, keyHash, now);
  if (!auth.ok) return authDenied(auth);
  const k = auth.key;
  if (k.role === "admin") return deny(403, "forbidden", "Admin keys manage the tenant; reservations are made and committed with user or service keys.");
  const app = new AppLayerStore(l.sql).get(id);
  const r = app ? l.store.reservation(id) : undefined;
  if (!app || !r) return notFound(id);
  const samePrincipal = k.id === app.key_id || (k.role === app.key_role && (k.role === "service" || k.user_id === app.key_user));
  if (!samePrincipal) {
    return deny(
      403,
      "not_reservation_owner",
      `Reservation ${id} was made by another ${app.key_role} key; only the key that made it, or a key of the same ${app.key_role === "user" ? "user" : "role"}, may commit or release it.`,
    );
  }
  return { app, r };
}

/**
 * Settles a reservation at the cost the application reports: `cost` as is,
 * or `usage` at the tenant's price (the reservation's own rates when it was
 * priced for that model). Idempotent: a repeated commit returns the first
 * answer and records nothing. After expiry the spend still counts, once.
 */
export async function commitApp(l: Ledger, req: AppCommitRequest): Promise<AppCommitResult> {
  const now = Date.now();
  if (!l.state.schemaReady || !tenant(l)) return authDenied({ throttled: false });
  const t = tenant(l)!;
  const store = new AppLayerStore(l.sql);
  let applied = false;
  const result = l.ctx.storage.transactionSync((): AppCommitResult => {
    const found = owned(l, req.keyHash, req.id, now);
    if ("status" in found) return found;
    const { app, r } = found;
    if (app.commit_answer !== null) return { status: "committed", replayed: true, answer: JSON.parse(app.commit_answer) as AppCommitAnswer };
    if (r.state === "released") return deny(409, "reservation_released", `Reservation ${req.id} was released; its spend cannot be committed.`, "id");
    if (r.state === "settled") return deny(409, "reservation_committed", `Reservation ${req.id} is already settled.`, "id");

    const settle: SettleRequest = { reservationId: r.id, usage: usageOf(req.usage), outcome: "ok" };
    let model = app.model;
    if (req.usage) {
      model = req.usage.model;
      // Priced for this very model: its stored rates, as a proxied call settles; any other model at the tenant's price.
      if (app.model === null || req.usage.model !== r.model) {
        const priced = usageRates(t.config, t.tenantId, req.usage);
        if ("status" in priced) return priced;
        settle.rates = priced.rates;
      }
    } else settle.cost = req.cost ?? 0;
    settle.reportAs = reportedAs(app.source, model);

    const done = settleInTx(l, settle, now);
    applied = done.applied;
    const answer: AppCommitAnswer = {
      id: r.id,
      cost: done.cost,
      amount: r.amount,
      overReserved: done.cost > r.amount,
      afterExpiry: r.state === "expired",
      committedAt: now,
      userId: r.user_id,
      feature: r.feature,
      reportedAs: settle.reportAs,
    };
    store.saveCommit(r.id, JSON.stringify(answer), now);
    return { status: "committed", replayed: false, answer };
  });
  if (applied) await anomalyCheckSoon(l, now);
  return result;
}

/** Gives an uncommitted hold back; releasing a released or expired one again changes nothing. */
export function releaseApp(l: Ledger, keyHash: string, id: string): AppReleaseResult {
  const now = Date.now();
  if (!l.state.schemaReady || !tenant(l)) return authDenied({ throttled: false });
  return l.ctx.storage.transactionSync((): AppReleaseResult => {
    const found = owned(l, keyHash, id, now);
    if ("status" in found) return found;
    const { r } = found;
    if (r.state === "settled") return deny(409, "reservation_committed", `Reservation ${id} is committed; a commit cannot be released.`, "id");
    if (r.state === "open") releaseInTx(l, id, now);
    return { status: "released", id, state: r.state === "expired" ? "expired" : "released", amount: r.amount };
  });
}
