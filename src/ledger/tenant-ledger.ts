/**
 * TenantLedger: one Durable Object per tenant, holding every scope of that
 * tenant (tenant, users, features) so one RPC checks and reserves the whole
 * hierarchy. A thin facade: each RPC method counts itself and delegates to a
 * step module (src/ledger/*.ts) over the object's storage (src/ledger/storage/)
 * and memory ({@link LedgerState}). Each read-check-write runs inside
 * `transactionSync` in the step, which makes concurrent reserves serial.
 *
 * Its alarm is the tenant's scheduler (src/ledger/scheduler.ts).
 */
import { DurableObject } from "cloudflare:workers";
import type { Role } from "../auth/keys";
import type { ReallocationInput, ReallocationState } from "../budget/reallocation";
import type { FeatureConfig, TenantConfig, TenantInput, UserConfig } from "../budget/tenant-config";
import type { Env } from "../env";
import * as admin from "./admin";
import { commitApp, releaseApp, reserveApp } from "./app-reservations";
import type {
  AppCommitRequest,
  AppCommitResult,
  AppReleaseResult,
  AppReserveRequest,
  AppReserveResult,
  AppUsageRequest,
  AppUsageResult,
} from "./app-types";
import { recordUsage } from "./app-usage";
import { acquireAllowance } from "./allowances";
import { flushAllowance } from "./allowances-flush";
import type { AcquireRequest, AcquireResult, FlushRequest, FlushResult } from "./allowances-types";
import { trackBackground, type TrackBackgroundRequest } from "./background";
import * as bursts from "./bursts";
import type { CloseResult } from "./close";
import * as keys from "./keys";
import * as reallocations from "./reallocations";
import type { UsageQuery, UsageReport } from "./reports";
import { reserve, revokeGlobalLease } from "./reserve";
import { closeWindows, tick, type TickResult } from "./scheduler";
import { scopeWindows } from "./scope-windows";
import { hasSchema, migrate } from "./schema";
import { release, settle } from "./settle";
import { LedgerState, type Ledger } from "./state";
import { LedgerStore } from "./storage";
import { BackgroundStore } from "./storage/background";
import { ContextStore } from "./storage/contexts";
import { Sql } from "./storage/sql";
import type {
  AlertInfo,
  AuditEntry,
  BudgetLine,
  KeyInfo,
  Principal,
  ReserveRequest,
  ReserveResult,
  SettleRequest,
  SettleResult,
} from "./types";
import * as views from "./views";

export type { TickResult };

/** The per-tenant ledger. */
export class TenantLedger extends DurableObject<Env> {
  /** The object's handles, storage and memory, as every step module takes them. */
  private readonly l: Ledger;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const sql = new Sql(ctx.storage.sql);
    // An object that never held a tenant (e.g. addressed by a forged key) gets no schema: a guessing
    // attacker cannot make the guard write storage for every name it tries.
    const state = new LedgerState(hasSchema(ctx.storage.sql));
    if (state.schemaReady) migrate(ctx.storage.sql);
    const store = new LedgerStore(sql, state.users, state.features);
    this.l = { ctx, env, state, sql, store, contexts: new ContextStore(sql), jobs: new BackgroundStore(sql) };
    void ctx.blockConcurrencyWhile(async () => {
      state.alarmAt = await ctx.storage.getAlarm();
    });
  }

  /** Counts one RPC (every public method but `stats`). */
  private rpc(): Ledger {
    this.l.state.rpcs += 1;
    return this.l;
  }

  /** RPCs served and storage rows written since the object started (the bench's per-request figures). */
  stats(): { rpcs: number; rowsWritten: number } {
    return { rpcs: this.l.state.rpcs, rowsWritten: this.l.sql.rowsWritten };
  }

  // ---- the hot path ------------------------------------------------------

  /** Attributes, prices, checks every scope and reserves in all of them atomically, or in none. */
  reserve(req: ReserveRequest): Promise<ReserveResult> {
    return reserve(this.rpc(), req);
  }

  /** Settles a reservation at the provider-reported cost; a duplicate changes nothing. */
  settle(req: SettleRequest): Promise<SettleResult> {
    return settle(this.rpc(), req);
  }

  /** Gives a reservation's hold back without spending (upstream error, client gone before the call). */
  release(reservationId: string): SettleResult {
    return release(this.rpc(), reservationId);
  }

  /** Every scope a caller falls under with limit, spent, reserved, remaining and reset. */
  budget(
    keyHash: string,
    userId: string | null,
    feature: string | null,
  ): { lines: BudgetLine[] } | Extract<ReserveResult, { status: "denied" }> {
    return views.budget(this.rpc(), keyHash, userId, feature);
  }

  /** The principal behind a key hash, for the admin API's role checks. */
  whoami(keyHash: string): Principal | "throttled" | null {
    return keys.whoami(this.rpc(), keyHash);
  }

  /** An allowance for a busy subject: a slice of every scope it falls under, and the snapshot to decide from. */
  acquireAllowance(req: AcquireRequest): Promise<AcquireResult> {
    return acquireAllowance(this.rpc(), req);
  }

  /** An allowance's batch of locally settled records; renews, shrinks or returns its hold. */
  flushAllowance(req: FlushRequest): Promise<FlushResult> {
    return flushAllowance(this.rpc(), req);
  }

  /** Hands a background response's open reservation to the alarm, which polls it to its end. */
  trackBackground(req: TrackBackgroundRequest): Promise<{ tracked: boolean }> {
    return trackBackground(this.rpc(), req);
  }

  // ---- the application layer (src/ledger/app-*.ts) -------------------------

  /** An application's hold of an amount or an estimated call, reserved like a proxied call. */
  reserveApp(req: AppReserveRequest): Promise<AppReserveResult> {
    return reserveApp(this.rpc(), req);
  }

  /** Records what an application's reservation really cost (idempotent). */
  commitApp(req: AppCommitRequest): Promise<AppCommitResult> {
    return commitApp(this.rpc(), req);
  }

  /** Gives an application's uncommitted hold back. */
  releaseApp(keyHash: string, id: string): AppReleaseResult {
    return releaseApp(this.rpc(), keyHash, id);
  }

  /** Records spend made outside the guard (idempotent per Idempotency-Key). */
  recordUsage(req: AppUsageRequest): Promise<AppUsageResult> {
    return recordUsage(this.rpc(), req);
  }

  // ---- the global budget --------------------------------------------------

  /** The GlobalLedger's settings changed: ask again on the next request. */
  globalChanged(): void {
    this.rpc().state.lease?.invalidate();
  }

  /** The GlobalLedger pulls this tenant's lease back; returns what was unspent. */
  revokeGlobalLease(leaseId: string): number {
    return revokeGlobalLease(this.rpc(), leaseId);
  }

  // ---- the scheduler ------------------------------------------------------

  /** Runs whatever is due: expiry, window close, alert delivery, anomaly checks; then re-arms. */
  override async alarm(): Promise<void> {
    this.l.state.alarmAt = null;
    await tick(this.l);
  }

  /** One scheduler pass (the cron sweep's backstop); idempotent. */
  tick(): Promise<TickResult> {
    return tick(this.rpc());
  }

  /** Closes ended windows now (the cron's entry point); idempotent. */
  closeWindows(): CloseResult {
    return closeWindows(this.rpc());
  }

  // ---- admin: configuration (audited) ---------------------------------------

  /** Creates or replaces the tenant (PUT): absent fields take their defaults. */
  putTenant(
    tenantId: string,
    input: TenantInput,
    actor: string,
  ): { tenantId: string; config: TenantConfig; created: boolean; webhookSecret: string | null } {
    return admin.putTenant(this.rpc(), tenantId, input, actor);
  }

  /** Merges fields into the tenant (PATCH); null when the tenant does not exist. */
  patchTenant(input: TenantInput, actor: string): { tenantId: string; config: TenantConfig } | null {
    return admin.patchTenant(this.rpc(), input, actor);
  }

  /** The tenant's configuration, or null when it does not exist. */
  getTenant(): { tenantId: string; config: TenantConfig; frozen: { at: number; reason: string } | null } | null {
    return admin.getTenant(this.rpc());
  }

  /** Deletes the tenant and all its data; its keys stop working at once. */
  deleteTenant(): Promise<boolean> {
    return admin.deleteTenant(this.rpc());
  }

  /** Stores a user's tier and overrides. */
  putUser(userId: string, input: UserConfig, actor: string): UserConfig | null {
    return admin.putUser(this.rpc(), userId, input, actor);
  }

  /** Stores a feature's limits. */
  putFeature(feature: string, input: FeatureConfig, actor: string): FeatureConfig | null {
    return admin.putFeature(this.rpc(), feature, input, actor);
  }

  /** Lifts a spike freeze. */
  unfreeze(actor: string): boolean {
    return admin.unfreeze(this.rpc(), actor);
  }

  // ---- admin: keys ----------------------------------------------------------

  /** Issues a key; the plaintext is returned here once and never stored. */
  createKey(
    opts: { name: string; role: Role; userId?: string; feature?: string; expiresAt?: number },
    actor: string,
  ): Promise<(KeyInfo & { key: string }) | null> {
    return keys.createKey(this.rpc(), opts, actor);
  }

  /** Every key of the tenant, without secrets. */
  listKeys(): KeyInfo[] {
    return keys.listKeys(this.rpc());
  }

  /** Revokes a key; the next request with it fails. */
  revokeKey(id: string, actor: string): KeyInfo | null {
    return keys.revokeKey(this.rpc(), id, actor);
  }

  // ---- admin: reallocations (audited) -----------------------------------------

  /** Asks to move part of this month's limit between two user/feature scopes (`pending`). */
  requestReallocation(input: ReallocationInput, actor: string): reallocations.Outcome | null {
    return reallocations.requestReallocation(this.rpc(), input, actor);
  }

  /** Approves (applies, atomically with the room check) or rejects a pending request. */
  decideReallocation(id: string, decision: "approve" | "reject", actor: string, reason?: string): reallocations.Outcome | null {
    return reallocations.decideReallocation(this.rpc(), id, decision, actor, reason);
  }

  /** One reallocation request. */
  getReallocation(id: string): reallocations.Outcome | null {
    return reallocations.getReallocation(this.rpc(), id);
  }

  /** Reallocation requests, newest first, optionally of one state. */
  listReallocations(state: ReallocationState | undefined, limit: number): reallocations.Reallocation[] | null {
    return reallocations.listReallocations(this.rpc(), state, limit);
  }

  // ---- admin: burst pools (audited) ------------------------------------------

  /** Creates a burst pool: active when the operator makes it, pending when a tenant admin asks. */
  createBurst(input: bursts.BurstInput, actor: string, byOperator: boolean): bursts.BurstInfo | bursts.BurstRefusal {
    return bursts.createBurst(this.rpc(), input, actor, byOperator);
  }

  /** Approves a pending burst pool. */
  approveBurst(id: string, actor: string): bursts.BurstInfo | bursts.BurstRefusal {
    return bursts.approveBurst(this.rpc(), id, actor);
  }

  /** Closes a burst pool; nothing drawn is given back. */
  closeBurst(id: string, actor: string): bursts.BurstInfo | bursts.BurstRefusal {
    return bursts.closeBurst(this.rpc(), id, actor);
  }

  /** Every burst pool with its state and remaining; null when the tenant does not exist. */
  listBursts(): bursts.BurstInfo[] | null {
    return bursts.listBursts(this.rpc());
  }

  /** A burst pool's post-spend analysis. */
  burstAnalysis(id: string): bursts.BurstAnalysis | bursts.BurstRefusal {
    return bursts.burstAnalysis(this.rpc(), id);
  }

  // ---- admin: reports -------------------------------------------------------

  /** Usage per user, feature or model for a day or month; null when the tenant does not exist. */
  usage(q: Omit<UsageQuery, "at"> & { at?: string }): UsageReport | null {
    return views.usage(this.rpc(), q);
  }

  /** The monthly review per feature (default: the current month); null when the tenant does not exist. */
  review(month?: string): ReturnType<typeof views.review> {
    return views.review(this.rpc(), month);
  }

  /** The monthly plan: this month and the next 12 (planned, actual, forecast); null when the tenant does not exist. */
  plan(): ReturnType<typeof views.plan> {
    return views.plan(this.rpc());
  }

  /** Every scope window now (tenant, features, the `topUsers` biggest spenders): limit, spent, reserved, reset. */
  scopeWindows(topUsers: number): ReturnType<typeof scopeWindows> {
    return scopeWindows(this.rpc(), topUsers);
  }

  /** The audit log, newest first; page with `beforeId`. */
  auditLog(limit = 100, beforeId: number | null = null): AuditEntry[] | null {
    return views.auditLog(this.rpc(), limit, beforeId);
  }

  /** The alert outbox, newest first. */
  listAlerts(limit = 200): AlertInfo[] {
    return views.listAlerts(this.rpc(), limit);
  }

  /** Counter rows for tests and reports. */
  counter(scope: string, win: string): { spent: number; reserved: number; requests: number } {
    return views.counter(this.rpc(), scope, win);
  }
}
