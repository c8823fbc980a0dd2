/**
 * TenantLedger: one Durable Object per tenant, holding every scope of that
 * tenant (tenant, users, features) so one RPC checks and reserves the whole
 * hierarchy. Each read-check-write runs inside `transactionSync`, which makes
 * concurrent reserves serial: check-then-increment cannot race here.
 *
 * Its alarm is the tenant's scheduler: it releases expired reservations,
 * closes windows at the tenant's local midnight, delivers queued alerts with
 * backoff, and checks for spend spikes and burn-rate problems.
 */
import { loadConfig } from "../config";
import { windowsAt } from "../budget/windows";
import { DIRECTORY_NAME } from "../directory/tenant-directory";
import { anomalyCheck, attemptDelivery, dueDeliveries, nextDeliveryAt, planDeliveries, recordAttempt, type Destination } from "./alerts";
import { closeWindowsTx, nextCloseAt, type CloseResult } from "./close";
import { GLOBAL_NAME } from "../global/global-ledger";
import { GlobalLeaseHolder } from "./global-lease";
import { LedgerBase } from "./ledger-base";
import {
  BACKGROUND_DEADLINE_MS,
  BackgroundStore,
  HOLD_MARGIN_MS,
  newJob,
  pollDelay,
  pollDue,
  type TrackBackgroundRequest,
} from "./background";
import { ContextStore, contextTokens } from "./contexts";
import { providerNamed } from "../proxy/providers/registry";
import { idempotencyKeyReused } from "./denials";
import { attribute, outputSample, releaseTx, reserveTx, settleTx } from "./reserve";
import { scopeKey, scopesFor, windowStates } from "./scopes";
import type { BudgetLine, ReserveRequest, ReserveResult, SettleRequest, SettleResult } from "./types";

/** Reservations outlive the upstream timeouts (2 min, 10 min for streams) by a minute. */
const RESERVATION_TTL_MS = { plain: 3 * 60_000, stream: 11 * 60_000 };
/** Output tokens reserved for an uncapped request before the tenant has history for the model. */
const DEFAULT_EXPECTED_OUTPUT = 1024;
/** The learned estimate never drops below this (nor the tenant's minOutputTokens): an uncapped call is forwarded with it as its cap. */
const OUTPUT_FLOOR = 256;
const OUTPUT_SAMPLES = 200;
const EXPIRE_BATCH = 500;
/** How soon after spend moves the spike and forecast checks run. */
const ANOMALY_DELAY_MS = 5 * 60_000;

/** What one scheduler pass did. */
export interface TickResult {
  expired: number;
  closed: CloseResult;
  delivered: number;
  pendingDeliveries: boolean;
}

/** The per-tenant ledger. */
export class TenantLedger extends LedgerBase {
  private anomalyDueAt: number | null = null;
  private lease: GlobalLeaseHolder | null = null;
  /** Token totals of stored responses and conversations (DESIGN "Stateful context counts"). */
  private readonly contexts = new ContextStore(this.ctx.storage.sql);
  /** Background responses polled to their end (DESIGN "Asynchronous work is metered"). */
  private readonly jobs = new BackgroundStore(this.ctx.storage.sql);
  private contextsPrunedAt = 0;

  // ---- the hot path ------------------------------------------------------

  /** Attributes, prices, checks every scope and reserves in all of them atomically, or in none. */
  async reserve(req: ReserveRequest): Promise<ReserveResult> {
    const now = Date.now();
    const auth = this.authenticate(req.keyHash, now);
    if (!auth.ok) return this.authDenied(auth);
    const tenant = this.tenant();
    if (!tenant) return this.authDenied({ throttled: false });

    if (tenant.frozen) {
      return {
        status: "denied",
        httpStatus: 429,
        code: "tenant_frozen",
        message: `This tenant is frozen after a spend spike (${tenant.frozen.reason}); an admin must unfreeze it (POST /admin/v1/tenants/${tenant.tenantId}/unfreeze).`,
      };
    }

    const who = attribute(auth.key, req);
    if ("denied" in who) return who.denied;

    const holder = this.globalHolder(tenant.tenantId);
    await holder.ensure(now);
    // A background job's hold outlives its polling deadline, so only the deadline (at the ceiling) ends it.
    const ttlMs = req.background
      ? BACKGROUND_DEADLINE_MS + HOLD_MARGIN_MS
      : req.streaming
        ? RESERVATION_TTL_MS.stream
        : RESERVATION_TTL_MS.plain;
    const attempt = (canGrowLease: boolean) =>
      this.ctx.storage.transactionSync(() => {
        // Checked inside the transaction: two concurrent retries cannot both pass it.
        const dup = req.idempotent ? this.duplicate(req) : null;
        if (dup) return dup;
        const view = holder.view();
        const r = reserveTx({
          store: this.store,
          tenantId: tenant.tenantId,
          config: tenant.config,
          who,
          req,
          now,
          expectedOutput: (model, max) => this.expectedOutput(model, max, tenant.config.minOutputTokens),
          ttlMs,
          global: view.kind === "window" ? view.window : null,
          canGrowLease,
          contextTokens: (refs) => contextTokens(this.contexts, refs),
        });
        // Spend from the lease in the same synchronous turn as the decision: no other reserve can interleave.
        if (r.status === "allowed") holder.consume(r.reservationId, r.amount, now);
        // The context this call reused, so its settlement records only what it added on top.
        if (r.status === "allowed" && req.context?.length) {
          const found = contextTokens(this.contexts, req.context);
          this.contexts.noteUse(r.reservationId, "tokens" in found ? found.tokens : 0, now);
        }
        return r;
      });

    const view = holder.view();
    if (view.kind === "blocked") {
      return {
        status: "denied",
        httpStatus: 429,
        code: "global_blocked",
        message: "The operator has paused all LLM traffic through this guard.",
      };
    }
    if (view.kind === "unavailable") {
      return {
        status: "denied",
        httpStatus: 503,
        code: "global_ledger_unavailable",
        message: "The global budget could not be checked, so the call was not made. Retry shortly.",
      };
    }
    let result = attempt(true);
    for (let tries = 0; result.status === "global_short" && tries < 3; tries++) {
      await holder.acquire(now, result.needed);
      result = attempt(tries < 2);
    }
    if (result.status === "global_short") throw new Error("unreachable: lease growth not allowed on retry");

    // An idle lease goes back before it expires (else it would count as spent): the alarm returns it.
    const returnAt = holder.returnAt();
    if (returnAt !== null) await this.scheduleAlarm(returnAt);
    if (result.status === "allowed") {
      await this.scheduleAlarm(now + ttlMs);
      // Top the lease up before it runs out, off this request's path.
      if (holder.low()) void holder.acquire(now, 0);
    }
    await this.afterAlerts(now);
    return result;
  }

  /**
   * A retry of a request with the same Idempotency-Key: the cached answer if it
   * completed, a conflict while it runs; a retry after an upstream failure
   * (released, nothing spent) runs again. The key is scoped to the request's
   * fingerprint (key, user, feature, route, body): another request under it is a 422.
   */
  private duplicate(req: ReserveRequest): ReserveResult | null {
    const id = req.requestId;
    const r = this.store.reservation(id);
    if (!r) return null;
    if ((r.fingerprint ?? null) !== (req.fingerprint ?? null)) return idempotencyKeyReused();
    if (r.state === "released") {
      this.store.run(`DELETE FROM reservations WHERE id = ?`, id);
      return null;
    }
    const replay = r.state === "settled" ? (this.store.replay(id) ?? null) : null;
    return { status: "duplicate", state: r.state, replay };
  }

  /** The GlobalLedger's settings changed: ask again on the next request. */
  globalChanged(): void {
    this.lease?.invalidate();
  }

  /** The GlobalLedger pulls this tenant's lease back; returns what was unspent. */
  revokeGlobalLease(leaseId: string): number {
    const t = this.tenant();
    return t ? this.globalHolder(t.tenantId).revoke(leaseId) : 0;
  }

  private globalHolder(tenantId: string): GlobalLeaseHolder {
    if (!this.lease) this.lease = new GlobalLeaseHolder(tenantId, () => this.env.GLOBAL_LEDGER.getByName(GLOBAL_NAME));
    return this.lease;
  }

  /** Settles a reservation at the provider-reported cost; a duplicate changes nothing. */
  async settle(req: SettleRequest): Promise<SettleResult> {
    const now = Date.now();
    if (!this.schemaReady) return { applied: false, cost: 0, state: "unknown" };
    const result = this.ctx.storage.transactionSync((): SettleResult => {
      const r = this.store.reservation(req.reservationId);
      if (!r) return { applied: false, cost: 0, state: "unknown" };
      if (r.state === "settled" || r.state === "released") return { applied: false, cost: r.cost ?? 0, state: r.state };
      const cost = settleTx(this.store, r, req, now);
      if (req.responseId || req.conversationId) this.contexts.recordSettled(r.id, req, now);
      if (req.replay) this.store.saveReplay(r.id, req.replay, now);
      const sample = outputSample(r, req);
      if (sample !== null) this.learnOutput(r.model, sample);
      if (r.state === "open") this.lease?.refund(r.id, r.amount - cost);
      // An expired reservation already gave its hold back to the lease; its late cost is still owed to it.
      else this.lease?.consume(`late:${r.id}`, cost, now);
      return { applied: true, cost, state: "settled" };
    });
    // Spend moved: look for a spike or a burn-rate problem soon (at most every few minutes).
    if (result.applied) await this.scheduleAlarm(this.anomalyDueAt ?? (this.anomalyDueAt = now + ANOMALY_DELAY_MS));
    return result;
  }

  /** Gives a reservation's hold back without spending (upstream error, client gone before the call). */
  release(reservationId: string): SettleResult {
    const now = Date.now();
    if (!this.schemaReady) return { applied: false, cost: 0, state: "unknown" };
    return this.ctx.storage.transactionSync((): SettleResult => {
      const r = this.store.reservation(reservationId);
      if (!r) return { applied: false, cost: 0, state: "unknown" };
      if (r.state !== "open") return { applied: false, cost: r.cost ?? 0, state: r.state };
      releaseTx(this.store, r, "released", now);
      this.lease?.refund(r.id, r.amount);
      return { applied: true, cost: 0, state: "released" };
    });
  }

  // ---- background responses ---------------------------------------------

  /**
   * Takes over a background response's reservation (RPC from the proxy, instead of
   * settling from the `queued` reply): it stays open and the alarm polls the
   * provider until the job ends. False when the reservation is not open (the
   * proxy then settles it at the ceiling).
   */
  async trackBackground(req: TrackBackgroundRequest): Promise<{ tracked: boolean }> {
    const now = Date.now();
    if (!this.schemaReady) return { tracked: false };
    const tracked = this.ctx.storage.transactionSync(() => {
      if (this.store.reservation(req.reservationId)?.state !== "open") return false;
      this.jobs.insert(newJob(req, now));
      return true;
    });
    if (tracked) await this.scheduleAlarm(now + pollDelay(0));
    return { tracked };
  }

  /** Polls the background jobs that are due; settles those that ended or passed their deadline. */
  private async pollBackground(now: number): Promise<number> {
    if (this.jobs.nextPollAt() === null) return 0;
    const config = loadConfig(this.env);
    return pollDue(
      {
        jobs: this.jobs,
        provider: (name) => providerNamed(name, config),
        config,
        settle: (r) => this.settle(r),
        tx: (fn) => this.ctx.storage.transactionSync(fn),
      },
      now,
    );
  }

  // ---- the scheduler ------------------------------------------------------

  /** Runs whatever is due: expiry, window close, alert delivery, anomaly checks; then re-arms. */
  override async alarm(): Promise<void> {
    this.alarmAt = null;
    await this.tick();
  }

  /** One scheduler pass (also called by the cron sweep as a backstop); idempotent. */
  async tick(): Promise<TickResult> {
    const now = Date.now();
    if (!this.schemaReady) return { expired: 0, closed: { moved: 0, pruned: 0 }, delivered: 0, pendingDeliveries: false };
    const tenant = this.tenant();
    let expired = 0;
    let closed: CloseResult = { moved: 0, pruned: 0 };
    this.ctx.storage.transactionSync(() => {
      for (const r of this.store.expiredOpen(now, EXPIRE_BATCH)) {
        releaseTx(this.store, r, "expired", now);
        this.lease?.refund(r.id, r.amount);
        expired += 1;
      }
      if (tenant) closed = closeWindowsTx(this.store, now, tenant.config.timezone, this.retention());
      // Stored-context totals: 30 days and a row cap; the cap's scan runs hourly, not on every pass.
      if (now - this.contextsPrunedAt >= 3600_000) {
        this.contexts.prune(now);
        this.contextsPrunedAt = now;
      }
    });
    if (tenant && this.anomalyDueAt !== null && this.anomalyDueAt <= now) {
      this.anomalyDueAt = null;
      const spiked = this.ctx.storage.transactionSync(() =>
        anomalyCheck({ store: this.store, tenantId: tenant.tenantId, cfg: tenant.config, now }),
      );
      if (spiked && tenant.config.onSpike === "freeze" && !tenant.frozen) {
        this.store.setFrozen({ at: now, reason: "spend spike detected" });
        this.tenantCache = undefined;
      }
    }
    await this.lease?.returnIfDue(now);
    await this.pollBackground(now);
    const delivered = await this.deliver(now);
    await this.rearm(now);
    const pendingDeliveries = nextDeliveryAt(this.store) !== null;
    return { expired, closed, delivered, pendingDeliveries };
  }

  /** Closes ended windows now (the cron's entry point); idempotent. */
  closeWindows(): CloseResult {
    const tenant = this.tenant();
    if (!tenant) return { moved: 0, pruned: 0 };
    return this.ctx.storage.transactionSync(() => closeWindowsTx(this.store, Date.now(), tenant.config.timezone, this.retention()));
  }

  /** Lifts a spike freeze. */
  unfreeze(actor: string): boolean {
    const tenant = this.tenant();
    if (!tenant?.frozen) return false;
    const now = Date.now();
    this.ctx.storage.transactionSync(() => {
      this.store.setFrozen(null);
      this.store.audit({ at: now, actor, action: "tenant.unfreeze", target: tenant.tenantId, before: tenant.frozen, after: null });
    });
    this.tenantCache = undefined;
    return true;
  }

  private retention() {
    const c = loadConfig(this.env);
    return { detailDays: c.DETAIL_RETENTION_DAYS, historyMonths: c.HISTORY_RETENTION_MONTHS };
  }

  private destinations(): Destination[] {
    const tenant = this.tenant();
    const c = loadConfig(this.env);
    const out: Destination[] = [];
    if (tenant?.config.alertWebhook) out.push({ dest: "tenant", url: tenant.config.alertWebhook, secret: tenant.webhookSecret });
    if (c.ALERT_WEBHOOK) out.push({ dest: "operator", url: c.ALERT_WEBHOOK, secret: c.ALERT_WEBHOOK_SECRET ?? null });
    return out;
  }

  /** After anything that may have queued alerts: plan their deliveries and wake the alarm at once. */
  private async afterAlerts(now: number): Promise<void> {
    if (!this.store.newAlerts) return;
    planDeliveries(this.store, this.destinations(), now);
    if (nextDeliveryAt(this.store) !== null) await this.scheduleAlarm(now);
  }

  private async deliver(now: number): Promise<number> {
    if (this.store.newAlerts) planDeliveries(this.store, this.destinations(), now);
    const tenant = this.tenant();
    const c = loadConfig(this.env);
    let delivered = 0;
    for (const d of dueDeliveries(this.store, now)) {
      const secret = d.dest === "tenant" ? (tenant?.webhookSecret ?? null) : (c.ALERT_WEBHOOK_SECRET ?? null);
      const outcome = await attemptDelivery(d, secret, c.ENVIRONMENT);
      recordAttempt(this.store, d, outcome, Date.now());
      if (outcome.ok) delivered += 1;
    }
    if (nextDeliveryAt(this.store) !== null && tenant) {
      // Let the cron's alert sweep find this tenant if the alarm is ever lost.
      await this.env.TENANT_DIRECTORY.getByName(DIRECTORY_NAME)
        .markPending(tenant.tenantId)
        .catch(() => undefined);
    }
    return delivered;
  }

  private async rearm(now: number): Promise<void> {
    const tenant = this.tenant();
    const candidates = [
      this.store.nextExpiry(),
      nextDeliveryAt(this.store),
      this.anomalyDueAt,
      this.lease?.returnAt() ?? null,
      this.jobs.nextPollAt(),
      tenant ? nextCloseAt(now, tenant.config.timezone) + 60_000 : null,
    ];
    const next = Math.min(...candidates.filter((t): t is number => t !== null));
    if (Number.isFinite(next)) await this.scheduleAlarm(Math.max(next, now + 1));
  }

  // ---- learned output estimate ------------------------------------------

  private samples(model: string): number[] {
    let s = this.outputSamples.get(model);
    if (!s) {
      s = this.store.recentOutputTokens(model, OUTPUT_SAMPLES);
      this.outputSamples.set(model, s);
    }
    return s;
  }

  private learnOutput(model: string, tokens: number): void {
    const s = this.samples(model);
    s.unshift(tokens);
    if (s.length > OUTPUT_SAMPLES) s.length = OUTPUT_SAMPLES;
  }

  /**
   * Output tokens per choice for an uncapped call: the 95th percentile of recent
   * guard-capped completions for the model (a default before there is history),
   * never below the floor (the tenant's minOutputTokens, at least OUTPUT_FLOOR) nor above the model's maximum.
   */
  private expectedOutput(model: string, modelMax: number, minOutputTokens: number): number {
    const s = this.samples(model);
    const floor = Math.max(OUTPUT_FLOOR, minOutputTokens);
    let estimate = DEFAULT_EXPECTED_OUTPUT;
    if (s.length >= 20) {
      const sorted = [...s].sort((a, b) => a - b);
      estimate = sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.95))] ?? DEFAULT_EXPECTED_OUTPUT;
    }
    return Math.min(Math.max(floor, estimate), modelMax);
  }

  /** Every scope a caller falls under with limit, spent, reserved, remaining and reset. */
  budget(
    keyHash: string,
    userId: string | null,
    feature: string | null,
  ): { lines: BudgetLine[] } | Extract<ReserveResult, { status: "denied" }> {
    const now = Date.now();
    const auth = this.authenticate(keyHash, now);
    const tenant = this.tenant();
    if (!auth.ok) return this.authDenied(auth);
    if (!tenant) return this.authDenied({ throttled: false });
    const who = attribute(auth.key, { userId, feature });
    if ("denied" in who) return who.denied;
    const scopes = scopesFor({
      tenant: tenant.config,
      userId: who.userId,
      feature: who.feature,
      user: this.store.user(who.userId),
      featureConfig: this.store.feature(who.feature),
    });
    const windows = windowsAt(now, tenant.config.timezone);
    const counters = this.store.counters(
      scopes.map((s) => scopeKey(s.ref)),
      [windows.daily.key, windows.monthly.key],
    );
    const lines = windowStates(scopes, windows, counters).map((w) => ({
      scope: w.scope.kind,
      scopeId: w.scope.id,
      window: w.window,
      windowKey: w.key,
      limit: w.limit,
      spent: w.spent,
      reserved: w.reserved,
      remaining: w.limit === null ? null : Math.max(0, w.limit - w.spent - w.reserved),
      resetAt: w.resetAt,
    }));
    return { lines };
  }
}
