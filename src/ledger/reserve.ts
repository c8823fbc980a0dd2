/**
 * The ledger's read-check-write steps, each run by the TenantLedger inside
 * one `transactionSync`: reserve in every scope or none, settle at the
 * reported cost, release a hold. Kept apart from the object so the object
 * stays a thin RPC surface over storage, caches and alarms.
 */
import { decide } from "../budget/policy";
import { maxRequestUsdOf, toMicros } from "../budget/limits";
import type { TenantConfig } from "../budget/tenant-config";
import type { ScopeWindow } from "../budget/types";
import { isoSeconds, windowsAt } from "../budget/windows";
import { lookupModel, resolvePrice, usageCost, type Rates } from "../pricing/cost";
import { hourOf } from "../alerts/detect";
import { queueAlert, queueThresholdAlerts } from "./alerts";
import { unknownContextMessage, type ContextLookup } from "./contexts";
import { modelNotPriced, requestCostLimit, unboundedInput, undeclaredFeature, unpricedUnit, type Denied } from "./denials";
import { priceCall } from "./reserve-price";
import { formatUsd, scopeKey, scopeLabel, scopesFor, windowStates } from "./scopes";
import type { KeyRow, LedgerStore, ReservationRow } from "./store";
import type { ContextRef, KeyInfo, ReserveRequest, ReserveResult, SettleRequest } from "./types";

/** Who a call is attributed to. */
export interface Attribution {
  userId: string;
  feature: string;
  /** True when the feature is the key's own binding (always allowed, declared or not). */
  featureBound?: boolean;
}

/** Everything {@link reserveTx} needs. */
export interface ReserveContext {
  store: LedgerStore;
  tenantId: string;
  config: TenantConfig;
  who: Attribution;
  req: ReserveRequest;
  now: number;
  /** Output tokens per choice to reserve for an uncapped request (learned per model, floored). */
  expectedOutput: (model: string, modelMax: number) => number;
  ttlMs: number;
  /** The global scope as the tenant's lease sees it, or null when no global limit applies. */
  global: ScopeWindow | null;
  /** True when a block at the global scope is worth retrying with a bigger lease. */
  canGrowLease: boolean;
  /** The stored context's recorded tokens; absent, every context is unknown. */
  contextTokens?: (refs: readonly ContextRef[]) => ContextLookup;
}

/** The transaction's outcome: a result for the worker, or "ask the GlobalLedger for more, then retry". */
export type ReserveTxResult = ReserveResult | { status: "global_short"; needed: number };

/** What the input cannot bound, if anything: an unboundable part or an unknown stored context, and the known context tokens. */
function inputBound(c: ReserveContext): { contextTokens: number; unbounded: Denied | null } {
  const refs = c.req.context ?? [];
  let contextTokens = 0;
  let unknown: Denied | null = null;
  if (refs.length > 0) {
    const found: ContextLookup = c.contextTokens ? c.contextTokens(refs) : { unknown: refs[0] as ContextRef };
    if ("unknown" in found)
      unknown = { status: "denied", httpStatus: 400, code: "unknown_context", message: unknownContextMessage(found.unknown) };
    else contextTokens = found.tokens;
  }
  const part = c.req.unbounded?.[0];
  return { contextTokens, unbounded: part !== undefined ? unboundedInput(part) : unknown };
}

/** Prices, checks every scope and the per-call bound, and reserves in all scopes, or blocks or refuses. */
export function reserveTx(c: ReserveContext): ReserveTxResult {
  const cfg = c.config;
  const { req, who, now } = c;
  const primaryPrice = resolvePrice(req.model, cfg.prices);
  if (!primaryPrice) return modelNotPriced(req.model, c.tenantId);

  const user = c.store.user(who.userId);
  const featureConfig = c.store.feature(who.feature);
  // A header may name only a declared feature when the tenant says so; the key's own binding and `default` always pass.
  if (cfg.requireDeclaredFeatures && !who.featureBound && who.feature !== "default" && featureConfig === undefined) {
    return undeclaredFeature(who.feature, c.tenantId);
  }

  const maxRequestUsd = maxRequestUsdOf(cfg, user, featureConfig);
  const maxRequestCost = maxRequestUsd === null ? null : toMicros(maxRequestUsd);
  const bound = inputBound(c);
  // Unboundable input is allowed only as a reservation of the whole per-call bound.
  if (bound.unbounded && maxRequestCost === null) return bound.unbounded;
  const reserveInFull = bound.unbounded !== null;

  const primaryCall = priceCall(req.model, primaryPrice.price, req, bound.contextTokens);
  if ("unpriced" in primaryCall) return unpricedUnit(req.model, primaryCall.unpriced, c.tenantId);
  const degradeTo = cfg.degrade[req.model];
  const degradedPrice = degradeTo ? resolvePrice(degradeTo, cfg.prices) : null;
  const degradedPriced = degradeTo && degradedPrice ? priceCall(degradeTo, degradedPrice.price, req, bound.contextTokens) : null;
  // A cheaper model that cannot price every unit of the call is not a place to send it.
  const degradedCall = degradedPriced && !("unpriced" in degradedPriced) ? degradedPriced : null;

  const isChat = req.kind === "chat";
  const modelMax = isChat ? (lookupModel(req.model)?.maxOutputTokens ?? 4096) : 0;
  const expected = isChat ? c.expectedOutput(req.model, modelMax) : 0;
  const choices = isChat ? Math.max(1, Math.floor(req.choices ?? 1)) : 1;

  const scopes = scopesFor({ tenant: cfg, userId: who.userId, feature: who.feature, user, featureConfig });
  const windows = windowsAt(now, cfg.timezone);
  const counters = c.store.counters(
    scopes.map((s) => scopeKey(s.ref)),
    [windows.daily.key, windows.monthly.key],
  );
  const states = windowStates(scopes, windows, counters);
  if (c.global) states.push(c.global);

  const decision = decide({
    windows: states,
    primary: { model: req.model, inputCost: primaryCall.inputCost, outputRate: primaryCall.outputRate },
    degraded:
      degradeTo && degradedCall ? { model: degradeTo, inputCost: degradedCall.inputCost, outputRate: degradedCall.outputRate } : undefined,
    requestedMaxTokens: isChat ? req.requestedMaxTokens : null,
    expectedOutputTokens: expected,
    choices,
    modelMaxOutputTokens: modelMax,
    minOutputTokens: cfg.minOutputTokens,
    maxRequestCost,
    reserveInFull,
    mode: cfg.mode,
  });

  // The fast bound over-counts; where that changes the outcome, ask for an exact count first.
  if (!req.inputExact && (decision.action !== "allow" || decision.clamped)) {
    return { status: "recount" };
  }

  if (decision.action === "deny") return requestCostLimit(decision.needed, decision.limit, reserveInFull);

  if (decision.action === "block" && decision.blocking.scope.kind === "global" && c.canGrowLease) {
    // Only the lease is short, not the tenant: no alert, no final message, just ask for more.
    return { status: "global_short", needed: decision.needed };
  }

  if (decision.action === "block") {
    const b = decision.blocking;
    const limit = b.limit ?? 0;
    const reset = isoSeconds(b.resetAt);
    const windowWord = b.window === "daily" ? "Daily" : "Monthly";
    let message = `${windowWord} budget of ${formatUsd(limit)} for ${scopeLabel(b.scope.kind, b.scope.id, c.tenantId)} reached; resets at ${reset}.`;
    if (cfg.upgradeMessage) message += ` ${cfg.upgradeMessage}`;
    queueAlert({
      store: c.store,
      tenantId: c.tenantId,
      kind: "hard_limit",
      scope: scopeKey(b.scope),
      win: b.key,
      window: b.window,
      threshold: 1,
      spent: b.spent + b.reserved,
      limit,
      resetAt: b.resetAt,
      now,
    });
    const finalMessage = req.finalMessageEligible && cfg.onHardLimit === "message" && c.store.claimFinalNotice(who.userId, b.key, now);
    return {
      status: "blocked",
      code: decision.code,
      message,
      blockStatus: cfg.blockStatus,
      finalMessage,
      position: {
        scope: b.scope.kind,
        scopeId: b.scope.id,
        window: b.window,
        limit,
        remaining: Math.max(0, limit - b.spent - b.reserved),
        resetAt: b.resetAt,
      },
    };
  }

  const rates = decision.degradedFrom && degradedCall ? degradedCall.rates : primaryCall.rates;
  const counterKeys: [string, string][] = [];
  for (const s of scopes) {
    for (const w of [windows.daily.key, windows.monthly.key]) counterKeys.push([scopeKey(s.ref), w]);
  }
  c.store.bumpAll(counterKeys, { reserved: decision.amount });
  c.store.insertReservation({
    id: req.requestId,
    user_id: who.userId,
    feature: who.feature,
    model: decision.model,
    amount: decision.amount,
    counters: JSON.stringify(counterKeys),
    rates: JSON.stringify(rates),
    created_at: now,
    expires_at: now + c.ttlMs,
    state: "open",
    cost: null,
    fingerprint: req.fingerprint ?? null,
    // Only a cap the guard chose teaches the learned estimate: a client's tiny cap says nothing about real completions.
    output_cap: isChat && req.requestedMaxTokens === null && !reserveInFull ? (decision.forwardMaxTokens ?? null) : null,
    choices,
  });
  queueThresholdAlerts({ store: c.store, tenantId: c.tenantId, cfg, states, amount: decision.amount, now });
  const t = decision.tightest;
  return {
    status: "allowed",
    reservationId: req.requestId,
    userId: who.userId,
    feature: who.feature,
    model: decision.model,
    degradedFrom: decision.degradedFrom,
    amount: decision.amount,
    forwardMaxTokens: decision.forwardMaxTokens,
    clamped: decision.clamped,
    warnings: decision.warnings.map((w) => ({ scope: w.scope.kind, scopeId: w.scope.id, window: w.window, pct: w.pct })),
    tightest: t
      ? { scope: t.scope.kind, scopeId: t.scope.id, window: t.window, limit: t.limit, remaining: t.remaining, resetAt: t.resetAt }
      : null,
    shadowCode: decision.shadowCode,
    forwardHeaders: [...cfg.forwardHeaders],
  };
}

/** Applies a settlement inside the caller's transaction; returns the cost charged. */
export function settleTx(store: LedgerStore, r: ReservationRow, req: SettleRequest, now: number): number {
  const rates = JSON.parse(r.rates) as Rates;
  const measured = usageCost(req.usage, rates);
  // Cost unknown: the reservation is the ceiling the guard proved; a higher reported usage still wins.
  const cost = req.outcome === "ceiling" ? Math.max(r.amount, measured) : measured;
  // An expired reservation already gave its hold back; only the spend is still owed.
  const releaseHeld = r.state === "open" ? r.amount : 0;
  store.bumpAll(JSON.parse(r.counters) as [string, string][], { spent: cost, reserved: -releaseHeld, requests: 1 });
  store.closeReservation(r.id, "settled", cost, now);
  store.bumpHour(hourOf(now), cost);
  const { day, month } = windowKeysOf(r);
  store.run(
    `INSERT INTO requests (id, ts, day, month, user_id, feature, model, input_tokens, cached_tokens, cache_write_tokens, output_tokens, cost, outcome, output_sample)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
    r.id,
    now,
    day,
    month,
    r.user_id,
    r.feature,
    r.model,
    req.usage.inputTokens,
    req.usage.cachedInputTokens,
    req.usage.cacheWriteTokens,
    req.usage.outputTokens,
    cost,
    req.outcome,
    outputSample(r, req),
  );
  return cost;
}

/**
 * What a settled call teaches the learned output estimate, per choice: only a
 * completed call the guard capped (the client set no cap). One that stopped at
 * the guard's cap wanted more, so it counts double, to raise the estimate.
 */
export function outputSample(
  r: Pick<ReservationRow, "output_cap" | "choices">,
  req: Pick<SettleRequest, "outcome" | "usage">,
): number | null {
  if (req.outcome !== "ok" || r.output_cap === null || r.output_cap <= 0) return null;
  const n = Math.max(1, r.choices ?? 1);
  const perChoice = Math.ceil(req.usage.outputTokens / n);
  return req.usage.outputTokens >= r.output_cap ? Math.ceil(r.output_cap / n) * 2 : perChoice;
}

/** Gives a reservation's hold back. */
export function releaseTx(store: LedgerStore, r: ReservationRow, state: "released" | "expired", now: number): void {
  store.bumpAll(JSON.parse(r.counters) as [string, string][], { reserved: -r.amount });
  store.closeReservation(r.id, state, null, now);
}

export function keyInfo(k: KeyRow): KeyInfo {
  return {
    id: k.id,
    name: k.name,
    role: k.role,
    userId: k.user_id,
    feature: k.feature,
    createdAt: new Date(k.created_at).toISOString(),
    expiresAt: k.expires_at === null ? null : new Date(k.expires_at).toISOString(),
    revokedAt: k.revoked_at === null ? null : new Date(k.revoked_at).toISOString(),
  };
}

export function windowKeysOf(r: ReservationRow): { day: string; month: string } {
  const keys = (JSON.parse(r.counters) as [string, string][]).map(([, w]) => w);
  return { day: keys.find((k) => k.startsWith("day:")) ?? "", month: keys.find((k) => k.startsWith("month:")) ?? "" };
}

/** Who a call is attributed to under the key's role (DESIGN "Identity and attribution"). */
export function attribute(
  key: KeyRow,
  req: { userId: string | null; bodyUserId?: string | null; feature: string | null },
): Required<Attribution> | { denied: Denied } {
  const deny = (httpStatus: 400 | 403, code: string, message: string) => ({
    denied: { status: "denied" as const, httpStatus, code, message },
  });
  if (key.role === "admin")
    return deny(403, "forbidden", "Admin keys manage the tenant; they cannot call the LLM routes. Use a user or service key.");
  let userId: string;
  if (key.role === "user") {
    if (req.userId && req.userId !== key.user_id) return deny(403, "forbidden", "This key is bound to another user.");
    userId = key.user_id ?? "";
  } else {
    const named = req.userId ?? req.bodyUserId ?? null;
    if (!named)
      return deny(400, "missing_user", "Service keys must name the user: send the X-Budget-User header or the body's user field.");
    userId = named;
  }
  if (key.feature && req.feature && req.feature !== key.feature) return deny(403, "forbidden", "This key is bound to another feature.");
  return { userId, feature: key.feature ?? req.feature ?? "default", featureBound: key.feature !== null };
}
