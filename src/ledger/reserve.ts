/**
 * The ledger's read-check-write steps, each run by the TenantLedger inside
 * one `transactionSync`: reserve in every scope or none, settle at the
 * reported cost, release a hold. Kept apart from the object so the object
 * stays a thin RPC surface over storage, caches and alarms.
 */
import { decide, tokensCost } from "../budget/policy";
import type { TenantConfig } from "../budget/tenant-config";
import type { ScopeWindow } from "../budget/types";
import { isoSeconds, windowsAt } from "../budget/windows";
import { lookupModel, ratesOf, resolvePrice, usageCost, type Rates } from "../pricing/cost";
import { hourOf } from "../alerts/detect";
import { queueAlert, queueThresholdAlerts } from "./alerts";
import { formatUsd, scopeKey, scopeLabel, scopesFor, windowStates } from "./scopes";
import type { KeyRow, LedgerStore, ReservationRow } from "./store";
import type { KeyInfo, ReserveRequest, ReserveResult, SettleRequest } from "./types";

/** Who a call is attributed to. */
export interface Attribution {
  userId: string;
  feature: string;
}

/** Everything {@link reserveTx} needs. */
export interface ReserveContext {
  store: LedgerStore;
  tenantId: string;
  config: TenantConfig;
  who: Attribution;
  req: ReserveRequest;
  now: number;
  /** Output tokens to reserve for an uncapped request (learned per model). */
  expectedOutput: (model: string, modelMax: number) => number;
  ttlMs: number;
  /** The global scope as the tenant's lease sees it, or null when no global limit applies. */
  global: ScopeWindow | null;
  /** True when a block at the global scope is worth retrying with a bigger lease. */
  canGrowLease: boolean;
}

/** The transaction's outcome: a result for the worker, or "ask the GlobalLedger for more, then retry". */
export type ReserveTxResult = ReserveResult | { status: "global_short"; needed: number };

/** Prices, checks every scope and reserves in all of them, or blocks. */
export function reserveTx(c: ReserveContext): ReserveTxResult {
  const cfg = c.config;
  const { req, who, now } = c;
  const primaryPrice = resolvePrice(req.model, cfg.prices);
  if (!primaryPrice) {
    return {
      status: "denied",
      httpStatus: 400,
      code: "model_not_priced",
      message:
        `No price is known for model "${req.model}", so the guard cannot budget it. ` +
        `The operator can price it for this tenant with PATCH /admin/v1/tenants/${c.tenantId} ` +
        `{"prices": {"${req.model}": {"input": <USD per 1M>, "output": <USD per 1M>}}}, or set a fallback price under "*".`,
    };
  }
  const degradeTo = cfg.degrade[req.model];
  const degradedPrice = degradeTo ? resolvePrice(degradeTo, cfg.prices) : null;
  const primaryRates = ratesOf(primaryPrice.price);
  const degradedRates = degradedPrice ? ratesOf(degradedPrice.price) : null;

  const isChat = req.kind === "chat";
  const modelMax = isChat ? (lookupModel(req.model)?.maxOutputTokens ?? 4096) : 0;
  const expected = isChat ? c.expectedOutput(req.model, modelMax) : 0;

  const user = c.store.user(who.userId);
  const featureConfig = c.store.feature(who.feature);
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
    primary: { model: req.model, inputCost: tokensCost(req.inputTokens, primaryRates.input), outputRate: primaryRates.output },
    degraded:
      degradeTo && degradedRates
        ? { model: degradeTo, inputCost: tokensCost(req.inputTokens, degradedRates.input), outputRate: degradedRates.output }
        : undefined,
    requestedMaxTokens: isChat ? req.requestedMaxTokens : null,
    expectedOutputTokens: expected,
    modelMaxOutputTokens: modelMax,
    minOutputTokens: cfg.minOutputTokens,
    mode: cfg.mode,
  });

  // The fast bound over-counts; where that changes the outcome, ask for an exact count first.
  if (!req.inputExact && (decision.action === "block" || (decision.action === "allow" && decision.clamped))) {
    return { status: "recount" };
  }

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

  const rates: Rates = decision.degradedFrom && degradedRates ? degradedRates : primaryRates;
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
  };
}

/** Applies a settlement inside the caller's transaction; returns the cost charged. */
export function settleTx(store: LedgerStore, r: ReservationRow, req: SettleRequest, now: number): number {
  const rates = JSON.parse(r.rates) as Rates;
  const cost = usageCost(req.usage, rates);
  // An expired reservation already gave its hold back; only the spend is still owed.
  const releaseHeld = r.state === "open" ? r.amount : 0;
  store.bumpAll(JSON.parse(r.counters) as [string, string][], { spent: cost, reserved: -releaseHeld, requests: 1 });
  store.closeReservation(r.id, "settled", cost, now);
  store.bumpHour(hourOf(now), cost);
  const { day, month } = windowKeysOf(r);
  store.run(
    `INSERT INTO requests (id, ts, day, month, user_id, feature, model, input_tokens, cached_tokens, cache_write_tokens, output_tokens, cost, outcome)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
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
  );
  return cost;
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

type Denied = Extract<ReserveResult, { status: "denied" }>;

/** Who a call is attributed to under the key's role (DESIGN "Identity and attribution"). */
export function attribute(
  key: KeyRow,
  req: { userId: string | null; bodyUserId?: string | null; feature: string | null },
): { userId: string; feature: string } | { denied: Denied } {
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
  return { userId, feature: key.feature ?? req.feature ?? "default" };
}
