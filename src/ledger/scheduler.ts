/**
 * The tenant's scheduler, run by its alarm (and by the cron sweep as a
 * backstop): expire stale reservations, close ended windows, prune, check
 * for spikes and burn rate, poll background jobs, deliver due alerts, then
 * re-arm at the next thing due.
 */
import { loadConfig } from "../config";
import { DIRECTORY_NAME } from "../directory/tenant-directory";
import { tenant } from "./admin";
import { expireAllowances, nextAllowanceExpiry } from "./allowances-flush";
import { scheduleAlarm } from "./alarm";
import { anomalyCheck, attemptDelivery, dueDeliveries, nextDeliveryAt, planDeliveries, recordAttempt, type Destination } from "./alerts";
import { pollBackground } from "./background";
import { closeWindowsTx, nextCloseAt, type CloseResult, type Retention } from "./close";
import { releaseTx } from "./settle";
import type { Ledger } from "./state";

const EXPIRE_BATCH = 500;

/** What one scheduler pass did. */
export interface TickResult {
  expired: number;
  closed: CloseResult;
  delivered: number;
  pendingDeliveries: boolean;
}

/** One scheduler pass; idempotent. */
export async function tick(l: Ledger): Promise<TickResult> {
  const now = Date.now();
  if (!l.state.schemaReady) return { expired: 0, closed: { moved: 0, pruned: 0 }, delivered: 0, pendingDeliveries: false };
  const t = tenant(l);
  let expired = 0;
  let closed: CloseResult = { moved: 0, pruned: 0 };
  l.ctx.storage.transactionSync(() => {
    for (const r of l.store.expiredOpen(now, EXPIRE_BATCH)) {
      releaseTx(l.store, r, "expired", now);
      l.state.lease?.refund(r.id, r.amount);
      expired += 1;
    }
    // Allowances not renewed by expiry + grace count as fully spent (src/ledger/allowances-flush.ts).
    expired += expireAllowances(l, now);
    if (t) closed = closeWindowsTx(l.store, now, t.config.timezone, retention(l));
    // Stored-context totals: 30 days and a row cap; the cap's scan runs hourly, not on every pass.
    if (now - l.state.contextsPrunedAt >= 3600_000) {
      l.contexts.prune(now);
      l.state.contextsPrunedAt = now;
    }
  });
  if (t && l.state.anomalyDueAt !== null && l.state.anomalyDueAt <= now) {
    l.state.anomalyDueAt = null;
    const found = l.ctx.storage.transactionSync(() => anomalyCheck({ store: l.store, tenantId: t.tenantId, cfg: t.config, now }));
    if (found.spiked && t.config.onSpike === "freeze" && !t.frozen) {
      l.store.setFrozen({ at: now, reason: "spend spike detected" });
      l.state.tenant = undefined;
    }
  }
  await l.state.lease?.returnIfDue(now);
  await pollBackground(l, now);
  const delivered = await deliver(l, now);
  await rearm(l, now);
  const pendingDeliveries = nextDeliveryAt(l.store) !== null;
  return { expired, closed, delivered, pendingDeliveries };
}

/** Closes ended windows now (the cron's entry point); idempotent. */
export function closeWindows(l: Ledger): CloseResult {
  const t = tenant(l);
  if (!t) return { moved: 0, pruned: 0 };
  return l.ctx.storage.transactionSync(() => closeWindowsTx(l.store, Date.now(), t.config.timezone, retention(l)));
}

/** After a step that queued alerts: plan their deliveries and wake the alarm at once. */
export async function afterAlerts(l: Ledger, now: number, queued: boolean): Promise<void> {
  if (!queued) return;
  planDeliveries(l.store, destinations(l), now);
  if (nextDeliveryAt(l.store) !== null) await scheduleAlarm(l, now);
}

function retention(l: Ledger): Retention {
  const c = loadConfig(l.env);
  return { detailDays: c.DETAIL_RETENTION_DAYS, historyMonths: c.HISTORY_RETENTION_MONTHS };
}

function destinations(l: Ledger): Destination[] {
  const t = tenant(l);
  const c = loadConfig(l.env);
  const out: Destination[] = [];
  if (t?.config.alertWebhook) out.push({ dest: "tenant", url: t.config.alertWebhook, secret: t.webhookSecret });
  if (c.ALERT_WEBHOOK) out.push({ dest: "operator", url: c.ALERT_WEBHOOK, secret: c.ALERT_WEBHOOK_SECRET ?? null });
  return out;
}

/** Plans any alert still pending (queued by this pass or missed earlier), then attempts the due deliveries. */
async function deliver(l: Ledger, now: number): Promise<number> {
  planDeliveries(l.store, destinations(l), now);
  const t = tenant(l);
  const c = loadConfig(l.env);
  let delivered = 0;
  for (const d of dueDeliveries(l.store, now)) {
    const secret = d.dest === "tenant" ? (t?.webhookSecret ?? null) : (c.ALERT_WEBHOOK_SECRET ?? null);
    const outcome = await attemptDelivery(d, secret, c.ENVIRONMENT);
    recordAttempt(l.store, d, outcome, Date.now());
    if (outcome.ok) delivered += 1;
  }
  if (nextDeliveryAt(l.store) !== null && t) {
    // Let the cron's alert sweep find this tenant if the alarm is ever lost.
    await l.env.TENANT_DIRECTORY.getByName(DIRECTORY_NAME)
      .markPending(t.tenantId)
      .catch(() => undefined);
  }
  return delivered;
}

async function rearm(l: Ledger, now: number): Promise<void> {
  const t = tenant(l);
  const candidates = [
    l.store.nextExpiry(),
    nextAllowanceExpiry(l),
    nextDeliveryAt(l.store),
    l.state.anomalyDueAt,
    l.state.lease?.returnAt() ?? null,
    l.jobs.nextPollAt(),
    t ? nextCloseAt(now, t.config.timezone) + 60_000 : null,
  ];
  const next = Math.min(...candidates.filter((x): x is number => x !== null));
  if (Number.isFinite(next)) await scheduleAlarm(l, Math.max(next, now + 1));
}
