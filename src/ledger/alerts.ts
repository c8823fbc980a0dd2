/**
 * The alert outbox in the tenant's object: threshold alerts queued as spend
 * crosses them, anomaly alerts from the hourly history, one delivery row per
 * destination with retries and exponential backoff, driven by the object's
 * alarm so an alert goes out within seconds of the crossing.
 */
import { randomBase62 } from "../auth/keys";
import { monthlyLimitFor, tenantLimits, toUsd } from "../budget/limits";
import type { TenantConfig } from "../budget/tenant-config";
import type { ScopeWindow } from "../budget/types";
import { isoSeconds, windowsAt } from "../budget/windows";
import { detectSpike, forecastExhaustion, hourOf, SPIKE_DEFAULTS } from "../alerts/detect";
import { alertBody, backoffMs, MAX_ATTEMPTS, signBody, type AlertFields, type AlertKind } from "../alerts/payload";
import { webhookUrlProblem } from "../alerts/webhook-url";
import { commitmentAlert } from "./commitments";
import { scopeKey } from "./scopes";
import type { DueDelivery, LedgerStore } from "./storage";

export type { DueDelivery };

/** Where alerts go: the tenant's webhook and the operator's. */
export interface Destination {
  dest: "tenant" | "operator";
  url: string;
  secret: string | null;
}

interface QueueArgs {
  store: LedgerStore;
  tenantId: string;
  kind: AlertKind;
  scope: string;
  win: string;
  window: string;
  threshold: number;
  spent: number;
  limit: number | null;
  resetAt: number | null;
  now: number;
  detail?: string;
}

/** Queues one alert (deduplicated per scope, window, kind and threshold). */
export function queueAlert(a: QueueArgs): boolean {
  const id = `alert_${randomBase62(16)}`;
  const fields: AlertFields = {
    id,
    tenant: a.tenantId,
    kind: a.kind,
    scope: a.scope,
    window: a.window,
    threshold: a.threshold,
    spentUsd: toUsd(a.spent),
    limitUsd: a.limit === null ? null : toUsd(a.limit),
    resetAt: a.resetAt === null ? null : isoSeconds(a.resetAt),
    createdAt: new Date(a.now).toISOString(),
    ...(a.detail ? { detail: a.detail } : {}),
  };
  return a.store.queueAlert({
    id,
    scope: a.scope,
    win: a.win,
    kind: a.kind,
    threshold: a.threshold,
    payload: JSON.stringify(fields),
    now: a.now,
  });
}

/**
 * Soft thresholds (the tenant's `alertThresholds`, else each scope's soft
 * limit), the tenant at 90% (for the account owner) and, for a block, the
 * hard limit. Judged on spent + reserved including this request. Returns
 * whether any alert was queued (the caller then plans its deliveries).
 */
export function queueThresholdAlerts(c: {
  store: LedgerStore;
  tenantId: string;
  cfg: TenantConfig;
  states: readonly ScopeWindow[];
  amount: number;
  now: number;
}): boolean {
  let queued = false;
  for (const w of c.states) {
    if (w.limit === null || w.limit <= 0) continue;
    const used = (w.spent + w.reserved + c.amount) / w.limit;
    const base = {
      store: c.store,
      tenantId: c.tenantId,
      scope: scopeKey(w.scope),
      win: w.key,
      window: w.window,
      spent: w.spent + w.reserved + c.amount,
      limit: w.limit,
      resetAt: w.resetAt,
      now: c.now,
    };
    const thresholds = c.cfg.alertThresholds.length > 0 ? c.cfg.alertThresholds : [w.softPct];
    for (const t of thresholds) if (used >= t) queued = queueAlert({ ...base, kind: "soft_limit", threshold: t }) || queued;
    if (w.scope.kind === "tenant" && used >= 0.9) queued = queueAlert({ ...base, kind: "tenant_90", threshold: 0.9 }) || queued;
    // Only shadow mode lets a reservation pass a hard limit: it is alerted as enforcement would have blocked it.
    if (used > 1) queued = queueAlert({ ...base, kind: "hard_limit", threshold: 1 }) || queued;
  }
  return queued;
}

/** Creates delivery rows for newly queued alerts, one per destination configured now. */
export function planDeliveries(store: LedgerStore, destinations: readonly Destination[], now: number): void {
  for (const id of store.pendingAlertIds()) {
    for (const d of destinations) store.addDelivery(id, d.dest, d.url, now);
    store.setAlertState(id, destinations.length > 0 ? "queued" : "no_destination");
  }
}

/** Deliveries whose next attempt is due. */
export function dueDeliveries(store: LedgerStore, now: number, limit = 25): DueDelivery[] {
  return store.dueDeliveries(now, limit);
}

/** When the next delivery attempt is due, if any. */
export function nextDeliveryAt(store: LedgerStore): number | null {
  return store.nextDeliveryAt();
}

/** Records an attempt's outcome and rolls the alert's state up from its deliveries. */
export function recordAttempt(store: LedgerStore, d: DueDelivery, outcome: { ok: boolean; error?: string }, now: number): void {
  const attempts = d.attempts + 1;
  if (outcome.ok) store.markDelivered(d.alertId, d.dest, attempts, now);
  else {
    const failed = attempts >= MAX_ATTEMPTS;
    store.markFailed(d.alertId, d.dest, attempts, failed ? null : now + backoffMs(attempts), (outcome.error ?? "failed").slice(0, 300));
  }
  const states = store.deliveries(d.alertId).map((r) => r.state);
  const rolled = states.every((s) => s === "delivered") ? "delivered" : states.some((s) => s === "pending") ? "queued" : "failed";
  store.rollUpAlert(d.alertId, rolled, outcome.error ?? null, rolled === "delivered" ? now : null);
}

/** POSTs one delivery; never throws (a failure is an outcome). */
export async function attemptDelivery(
  d: DueDelivery,
  secret: string | null,
  environment: "production" | "development" | "test",
): Promise<{ ok: boolean; error?: string }> {
  // Checked again at send time: a URL stored before a rule tightened must not be called.
  const problem = webhookUrlProblem(d.url, environment);
  if (problem) return { ok: false, error: `refused URL: ${problem}` };
  const fields = JSON.parse(d.payload) as AlertFields;
  const body = alertBody(fields);
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "user-agent": "budget-guard-alerts/1",
    "x-budget-alert-id": fields.id,
  };
  if (secret) headers["x-budget-signature"] = await signBody(body, secret);
  try {
    const res = await fetch(d.url, { method: "POST", headers, body, signal: AbortSignal.timeout(10_000) });
    await res.body?.cancel();
    return res.ok ? { ok: true } : { ok: false, error: `HTTP ${res.status}` };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.name : "network error" };
  }
}

/** Spike, burn-rate and commitment checks on the tenant's spend: whether a spike was found, and whether an alert was queued. */
export function anomalyCheck(c: { store: LedgerStore; tenantId: string; cfg: TenantConfig; now: number }): {
  spiked: boolean;
  queued: boolean;
} {
  let queued = false;
  const hourly = c.store.hours(hourOf(c.now) - SPIKE_DEFAULTS.trailingHours * 3_600_000);
  const spike = detectSpike(hourly, c.now, { ...SPIKE_DEFAULTS, floorMicros: Math.round(c.cfg.spikeFloorUsd * 1_000_000) });
  if (spike) {
    queued = queueAlert({
      store: c.store,
      tenantId: c.tenantId,
      kind: "spend_spike",
      scope: "tenant",
      win: `hour:${isoSeconds(spike.hour)}`,
      window: "hour",
      threshold: SPIKE_DEFAULTS.factor,
      spent: spike.lastHour,
      limit: null,
      resetAt: null,
      now: c.now,
      detail: `$${toUsd(spike.lastHour).toFixed(2)} in the last hour, ${Number.isFinite(spike.ratio) ? `${spike.ratio.toFixed(1)}×` : "far above"} the 7-day hourly average of $${toUsd(spike.trailingAverage).toFixed(4)}`,
    });
  }
  // Against the month's plan when the month is planned (the same resolution the reservation uses).
  const w = windowsAt(c.now, c.cfg.timezone).monthly;
  const monthlyLimit = monthlyLimitFor(tenantLimits(c.cfg).monthly, c.cfg.plan, w.key);
  if (monthlyLimit !== undefined) {
    const spent = c.store.counterRows("tenant", w.key)[0]?.spent ?? 0;
    const limit = Math.round(monthlyLimit * 1_000_000);
    const f = forecastExhaustion(spent, limit, w.startsAt, w.resetAt, c.now);
    if (f) {
      queued =
        queueAlert({
          store: c.store,
          tenantId: c.tenantId,
          kind: "burn_forecast",
          scope: "tenant",
          win: w.key,
          window: "monthly",
          threshold: 0,
          spent,
          limit,
          resetAt: w.resetAt,
          now: c.now,
          detail: isoSeconds(f.exhaustedAt).slice(0, 10),
        }) || queued;
    }
  }
  // Committed-use discount: a projection outside ±10% of the commitment (src/ledger/commitments.ts).
  const commitment = commitmentAlert(c.store, c.cfg, c.now);
  if (commitment) queued = queueAlert({ store: c.store, tenantId: c.tenantId, now: c.now, ...commitment }) || queued;
  return { spiked: spike !== null, queued };
}
