/**
 * Spend made elsewhere, recorded after the fact (`POST /v1/usage`): it
 * already happened, so it is never refused for the budget. It is a
 * reservation of exactly its cost, decided as enforcement would but never
 * blocked (`force`: the shadow decision, so alerts, warnings and the global
 * lease see it like any call), settled at once in the same RPC. From then on
 * it counts against every limit like any spend: past a hard limit the next
 * call is blocked.
 *
 * The Idempotency-Key works as for proxied calls: the reservation id derives
 * from it, the answer is kept as its replay, the same key with another body
 * is a 422, and a retry records nothing new. A record whose settlement never
 * ran (the object stopped in between) is settled by its retry.
 */
import { tenant } from "./admin";
import { reportedAs, usageOf, usagePrice } from "./app-pricing";
import type { AppUsageAnswer, AppUsageRequest, AppUsageResult } from "./app-types";
import { authDenied } from "./keys";
import { reserve } from "./reserve";
import { settle } from "./settle";
import type { Ledger } from "./state";
import type { Rates } from "../pricing/cost";
import type { BudgetPosition, WarningOut } from "./types";

/** The hold lasts only until the settlement right after it. */
const RECORD_TTL_MS = 60_000;

/** Records spend made outside the guard against every scope of its user and feature. */
export async function recordUsage(l: Ledger, req: AppUsageRequest): Promise<AppUsageResult> {
  const t = l.state.schemaReady ? tenant(l) : null;
  if (!t) return authDenied({ throttled: false });
  let cost = req.cost ?? 0;
  let rates: Rates | undefined;
  if (req.usage) {
    const priced = usagePrice(t.config, t.tenantId, req.usage);
    if ("status" in priced) return priced;
    ({ cost, rates } = priced);
  }
  const model = req.usage?.model ?? null;
  const label = reportedAs(req.source, model);
  const res = await reserve(l, {
    requestId: req.id,
    keyHash: req.keyHash,
    userId: req.userId,
    bodyUserId: req.bodyUserId,
    feature: req.feature,
    model: label,
    kind: "embedding",
    inputTokens: 0,
    inputExact: true,
    requestedMaxTokens: null,
    idempotent: true,
    finalMessageEligible: false,
    streaming: false,
    fixedCost: cost,
    force: true,
    ttlMs: RECORD_TTL_MS,
    fingerprint: req.fingerprint,
  });
  if (res.status === "denied") return res;
  if (res.status === "duplicate" && res.replay) {
    return { status: "recorded", replayed: true, answer: JSON.parse(res.replay.body) as AppUsageAnswer };
  }
  if (res.status !== "allowed" && res.status !== "duplicate") {
    // Unreachable with `force` (never blocked) and an exact input (never recounted).
    return { status: "denied", httpStatus: 503, code: "ledger_unavailable", message: "The usage could not be recorded; retry with the same Idempotency-Key." };
  }
  const position: { warnings: WarningOut[]; tightest: BudgetPosition | null } =
    res.status === "allowed" ? { warnings: res.warnings, tightest: res.tightest } : { warnings: [], tightest: null };
  const answer: AppUsageAnswer = {
    id: req.id,
    cost,
    userId: res.status === "allowed" ? res.userId : "",
    feature: res.status === "allowed" ? res.feature : "",
    source: req.source,
    model,
    reportedAs: label,
    recordedAt: Date.now(),
    overLimit: position.tightest !== null && position.tightest.remaining === 0,
    ...position,
  };
  if (res.status === "duplicate") {
    // A retry of a record whose first attempt reserved but did not settle: who it is for is on the row.
    const row = l.store.reservation(req.id);
    if (row) Object.assign(answer, { userId: row.user_id, feature: row.feature });
  }
  const replay = { status: 201, contentType: "application/json", body: JSON.stringify(answer) };
  const done = await settle(l, {
    reservationId: req.id,
    usage: usageOf(req.usage),
    outcome: "ok",
    ...(rates ? { rates } : { cost }),
    replay,
  });
  if (done.applied) return { status: "recorded", replayed: false, answer };
  // Settled meanwhile by a concurrent retry: its answer is the first one.
  const kept = l.store.replay(req.id);
  return { status: "recorded", replayed: true, answer: kept ? (JSON.parse(kept.body) as AppUsageAnswer) : answer };
}
