/**
 * The reserve decision, run inside one `transactionSync`: price the call,
 * read every scope's counters, decide (src/budget/policy.ts), and reserve in
 * every scope or none, or block (queueing the hard-limit alert and claiming
 * the one free final message) or refuse. Pure storage + policy: the RPC
 * around it (auth, the global lease, retries) is `reserve.ts`.
 */
import { netBpsOf } from "../budget/commitment";
import { decide } from "../budget/policy";
import { maxRequestUsdOf, toMicros } from "../budget/limits";
import type { Adjustments } from "../budget/reallocation";
import type { TenantConfig } from "../budget/tenant-config";
import type { ScopeWindow } from "../budget/types";
import { isoSeconds, windowsAt } from "../budget/windows";
import { lookupModel, resolvePrice } from "../pricing/cost";
import { queueAlert, queueThresholdAlerts } from "./alerts";
import { alertExhausted, fellShort, ownPosition, recordDraws, tryPools, type PoolIndex } from "./bursts-reserve";
import { unknownContextMessage, type ContextLookup } from "./contexts";
import { modelNotPriced, requestCostLimit, unboundedInput, undeclaredFeature, unpricedUnit, type Denied } from "./denials";
import { fixedCall, priceCall } from "./reserve-price";
import { formatUsd, positionOut, scopeKey, scopeLabel, scopesFor, windowStates } from "./scopes";
import type { LedgerStore } from "./storage";
import type { ContextRef, ReserveRequest, ReserveResult } from "./types";

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
  /** Monthly limit adjustments of applied reallocations (the object's memory). */
  adjustments: Adjustments;
  /** The tenant's burst pools (the object's memory, read on first use); absent, no request draws. */
  pools?: () => PoolIndex;
}

/** The transaction's outcome: a result for the worker, or "ask the GlobalLedger for more, then retry". */
export type ReserveTxResult = ReserveResult | { status: "global_short"; needed: number };

/** A result, and whether the step queued alerts (their deliveries are planned after the transaction). */
export interface ReserveTxOutcome {
  result: ReserveTxResult;
  alertsQueued: boolean;
}

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
export function reserveTx(c: ReserveContext): ReserveTxOutcome {
  const r = decideAndReserve(c);
  return "result" in r ? r : { result: r, alertsQueued: false };
}

function decideAndReserve(c: ReserveContext): ReserveTxResult | ReserveTxOutcome {
  const cfg = c.config;
  const { req, who, now } = c;
  // An application's hold of an amount needs no model price.
  const primaryPrice = req.fixedCost === undefined ? resolvePrice(req.model, cfg.prices) : null;
  if (req.fixedCost === undefined && !primaryPrice) return modelNotPriced(req.model, c.tenantId);

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

  const netBps = netBpsOf(cfg.commitment);
  const primaryCall = primaryPrice ? priceCall(req.model, primaryPrice.price, req, bound.contextTokens, netBps) : fixedCall(req.fixedCost ?? 0);
  if ("unpriced" in primaryCall) return unpricedUnit(req.model, primaryCall.unpriced, c.tenantId);
  const degradeTo = primaryPrice ? cfg.degrade[req.model] : undefined;
  const degradedPrice = degradeTo ? resolvePrice(degradeTo, cfg.prices) : null;
  const degradedPriced = degradeTo && degradedPrice ? priceCall(degradeTo, degradedPrice.price, req, bound.contextTokens, netBps) : null;
  // A cheaper model that cannot price every unit of the call is not a place to send it.
  const degradedCall = degradedPriced && !("unpriced" in degradedPriced) ? degradedPriced : null;

  const isChat = req.kind === "chat" && primaryPrice !== null;
  const modelMax = isChat ? (lookupModel(req.model)?.maxOutputTokens ?? 4096) : 0;
  const expected = isChat ? c.expectedOutput(req.model, modelMax) : 0;
  const choices = isChat ? Math.max(1, Math.floor(req.choices ?? 1)) : 1;

  const scopes = scopesFor({ tenant: cfg, userId: who.userId, feature: who.feature, user, featureConfig, adjustments: c.adjustments });
  const windows = windowsAt(now, cfg.timezone);
  const counters = c.store.counters(
    scopes.map((s) => scopeKey(s.ref)),
    [windows.daily.key, windows.monthly.key],
  );
  const states = windowStates(scopes, windows, counters);
  if (c.global) states.push(c.global);

  const input = {
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
    mode: req.force ? "shadow" : cfg.mode,
  };
  let decision = decide({ ...input, windows: states });

  // The fast bound over-counts; where that changes the outcome, ask for an exact count first.
  if (!req.inputExact && (decision.action !== "allow" || decision.clamped)) {
    return { status: "recount" };
  }

  if (decision.action === "deny") return requestCostLimit(decision.needed, decision.limit, reserveInFull);

  // A call that does not fit a scope with a burst pool is decided again with the pool (src/ledger/bursts-draw.ts).
  const wins = [windows.daily.key, windows.monthly.key];
  const targetOutput = isChat ? Math.min(req.requestedMaxTokens ?? expected * choices, req.requestedMaxTokens ?? modelMax * choices) : 0;
  const burst =
    c.pools && fellShort(decision, targetOutput)
      ? tryPools({
          store: c.store,
          index: c.pools(),
          scopes: scopes.map((s) => scopeKey(s.ref)),
          wins,
          states,
          now,
          targetOutput,
          decide: (w) => decide({ ...input, windows: w }),
        })
      : null;
  const draws = burst?.plan.decision ? burst.plan.draws : [];
  if (draws.length > 0 && !req.inputExact) return { status: "recount" };
  if (burst?.plan.decision) decision = burst.plan.decision;
  let burstAlerts = burst ? alertExhausted(c.store, c.tenantId, burst.plan.exhausted, burst.pools, now) : false;

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
    const alertsQueued = queueAlert({
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
    }) || burstAlerts;
    const finalMessage = req.finalMessageEligible && cfg.onHardLimit === "message" && c.store.claimFinalNotice(who.userId, b.key, now);
    const result: ReserveResult = {
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
    return { result, alertsQueued };
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
  if (burst && draws.length > 0) burstAlerts = recordDraws(c.store, c.tenantId, req.requestId, draws, burst.pools, wins, now) || burstAlerts;
  // Decided with a pool: warnings, alerts and headers speak of the scopes' own budgets.
  const own = burst?.plan.decision ? burst.plan.own : states;
  const alertsQueued = queueThresholdAlerts({ store: c.store, tenantId: c.tenantId, cfg, states: own, amount: decision.amount, now }) || burstAlerts;
  const result: ReserveResult = {
    status: "allowed",
    reservationId: req.requestId,
    userId: who.userId,
    feature: who.feature,
    model: decision.model,
    degradedFrom: decision.degradedFrom,
    amount: decision.amount,
    forwardMaxTokens: decision.forwardMaxTokens,
    clamped: decision.clamped,
    ...positionOut(burst?.plan.decision ? ownPosition(own, decision.amount) : decision),
    shadowCode: decision.shadowCode,
    forwardHeaders: [...cfg.forwardHeaders],
    ...(draws.length > 0 ? { burstId: draws.map((d) => d.poolId).join(", ") } : {}),
  };
  return { result, alertsQueued };
}
