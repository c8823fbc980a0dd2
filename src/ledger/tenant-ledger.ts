/**
 * TenantLedger: one Durable Object per tenant, holding every scope of that
 * tenant (tenant, users, features) so one RPC checks and reserves the whole
 * hierarchy. Each read-check-write runs inside `transactionSync`, which makes
 * concurrent reserves serial: check-then-increment cannot race here.
 */
import { DurableObject } from "cloudflare:workers";
import { generateKey, randomBase62, sha256Hex, type Role } from "../auth/keys";
import {
  featureInputSchema,
  mergeTenant,
  replaceTenant,
  userInputSchema,
  type FeatureConfig,
  type TenantConfig,
  type TenantInput,
  type UserConfig,
} from "../budget/tenant-config";
import { windowsAt } from "../budget/windows";
import type { Env } from "../env";
import { reviewReport, usageReport, type UsageQuery, type UsageReport } from "./reports";
import { attribute, keyInfo, releaseTx, reserveTx, settleTx } from "./reserve";
import { migrate } from "./schema";
import { scopeKey, scopesFor, windowStates } from "./scopes";
import { LedgerStore, type KeyRow } from "./store";
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

/** Reservations outlive the upstream timeouts (2 min, 10 min for streams) by a minute. */
const RESERVATION_TTL_MS = { plain: 3 * 60_000, stream: 11 * 60_000 };
/** Output tokens reserved for an uncapped request before the tenant has history for the model. */
const DEFAULT_EXPECTED_OUTPUT = 1024;
const OUTPUT_SAMPLES = 200;
const EXPIRE_BATCH = 500;

type AuthResult = { ok: true; key: KeyRow } | { ok: false };

/** The per-tenant ledger. */
export class TenantLedger extends DurableObject<Env> {
  private readonly store: LedgerStore;
  private tenantCache: { tenantId: string; config: TenantConfig } | null | undefined;
  private readonly keyCache = new Map<string, KeyRow>();
  private readonly outputSamples = new Map<string, number[]>();
  private alarmAt: number | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.store = new LedgerStore(ctx.storage.sql);
    migrate(ctx.storage.sql);
    void ctx.blockConcurrencyWhile(async () => {
      this.alarmAt = await ctx.storage.getAlarm();
    });
  }

  // ---- tenant configuration (every change is audited) --------------------

  private tenant(): { tenantId: string; config: TenantConfig } | null {
    if (this.tenantCache === undefined) {
      const t = this.store.tenant();
      this.tenantCache = t ? { tenantId: t.tenantId, config: t.config } : null;
    }
    return this.tenantCache;
  }

  /** Creates or replaces the tenant (PUT): absent fields take their defaults. */
  putTenant(tenantId: string, input: TenantInput, actor: string): { tenantId: string; config: TenantConfig; created: boolean } {
    const now = Date.now();
    const config = replaceTenant(tenantId, input);
    const before = this.tenant();
    this.ctx.storage.transactionSync(() => {
      this.store.saveTenant(tenantId, config, now);
      this.store.audit({
        at: now,
        actor,
        action: before ? "tenant.replace" : "tenant.create",
        target: tenantId,
        before: before?.config ?? null,
        after: config,
      });
    });
    this.tenantCache = { tenantId, config };
    return { tenantId, config, created: before === null };
  }

  /** Merges fields into the tenant (PATCH); null when the tenant does not exist. */
  patchTenant(input: TenantInput, actor: string): { tenantId: string; config: TenantConfig } | null {
    const t = this.tenant();
    if (!t) return null;
    const now = Date.now();
    const config = mergeTenant(t.config, input);
    this.ctx.storage.transactionSync(() => {
      this.store.saveTenant(t.tenantId, config, now);
      this.store.audit({ at: now, actor, action: "tenant.update", target: t.tenantId, before: t.config, after: config });
    });
    this.tenantCache = { tenantId: t.tenantId, config };
    return this.tenantCache;
  }

  /** The tenant's configuration, or null when it does not exist. */
  getTenant(): { tenantId: string; config: TenantConfig } | null {
    return this.tenant();
  }

  /** Deletes the tenant and all its data; its keys stop working at once. */
  async deleteTenant(): Promise<boolean> {
    if (!this.tenant()) return false;
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
    this.keyCache.clear();
    this.outputSamples.clear();
    this.tenantCache = null;
    this.alarmAt = null;
    // The object lives on (its id is the tenant's name): give it an empty schema for a re-created tenant.
    migrate(this.ctx.storage.sql);
    return true;
  }

  /** Stores a user's tier and overrides. */
  putUser(userId: string, input: UserConfig, actor: string): UserConfig | null {
    if (!this.tenant()) return null;
    const config = userInputSchema.parse(input);
    const now = Date.now();
    this.ctx.storage.transactionSync(() => {
      const before = this.store.user(userId) ?? null;
      this.store.saveUser(userId, config, now);
      this.store.audit({ at: now, actor, action: "user.put", target: userId, before, after: config });
    });
    return config;
  }

  /** Stores a feature's limits. */
  putFeature(feature: string, input: FeatureConfig, actor: string): FeatureConfig | null {
    if (!this.tenant()) return null;
    const config = featureInputSchema.parse(input);
    const now = Date.now();
    this.ctx.storage.transactionSync(() => {
      const before = this.store.feature(feature) ?? null;
      this.store.saveFeature(feature, config, now);
      this.store.audit({ at: now, actor, action: "feature.put", target: feature, before, after: config });
    });
    return config;
  }

  // ---- keys ---------------------------------------------------------------

  /** Issues a key; the plaintext is returned here once and never stored. */
  async createKey(
    opts: { name: string; role: Role; userId?: string; feature?: string; expiresAt?: number },
    actor: string,
  ): Promise<(KeyInfo & { key: string }) | null> {
    const t = this.tenant();
    if (!t) return null;
    const key = generateKey(t.tenantId);
    const row: KeyRow = {
      id: `key_${randomBase62(16)}`,
      hash: await sha256Hex(key),
      name: opts.name,
      role: opts.role,
      user_id: opts.userId ?? null,
      feature: opts.feature ?? null,
      created_at: Date.now(),
      expires_at: opts.expiresAt ?? null,
      revoked_at: null,
    };
    this.ctx.storage.transactionSync(() => {
      this.store.insertKey(row);
      this.store.audit({ at: row.created_at, actor, action: "key.create", target: row.id, before: null, after: keyInfo(row) });
    });
    return { ...keyInfo(row), key };
  }

  /** Every key of the tenant, without secrets. */
  listKeys(): KeyInfo[] {
    return this.store.keys().map(keyInfo);
  }

  /** Revokes a key; the next request with it fails (the in-memory cache entry goes with it). */
  revokeKey(id: string, actor: string): KeyInfo | null {
    const row = this.store.keyById(id);
    if (!row) return null;
    if (row.revoked_at === null) {
      const before = keyInfo(row);
      row.revoked_at = Date.now();
      this.ctx.storage.transactionSync(() => {
        this.store.run(`UPDATE keys SET revoked_at = ? WHERE id = ?`, row.revoked_at, id);
        this.store.audit({ at: row.revoked_at ?? 0, actor, action: "key.revoke", target: id, before, after: keyInfo(row) });
      });
    }
    this.keyCache.delete(row.hash);
    return keyInfo(row);
  }

  /** Verifies a key hash: who it is, or null. Cached in memory; revocation evicts. */
  private authenticate(keyHash: string, now: number): AuthResult {
    if (!this.tenant()) return { ok: false };
    let row = this.keyCache.get(keyHash);
    if (!row) {
      row = this.store.keyByHash(keyHash);
      if (!row) return { ok: false };
      this.keyCache.set(keyHash, row);
    }
    if (row.revoked_at !== null || (row.expires_at !== null && row.expires_at <= now)) return { ok: false };
    return { ok: true, key: row };
  }

  /** The principal behind a key hash, for the admin API's role checks. */
  whoami(keyHash: string): Principal | null {
    const a = this.authenticate(keyHash, Date.now());
    if (!a.ok) return null;
    return { keyId: a.key.id, role: a.key.role, userId: a.key.user_id, feature: a.key.feature };
  }

  // ---- the hot path ------------------------------------------------------

  /** Attributes, prices, checks every scope and reserves in all of them atomically, or in none. */
  async reserve(req: ReserveRequest): Promise<ReserveResult> {
    const now = Date.now();
    const auth = this.authenticate(req.keyHash, now);
    if (!auth.ok) return { status: "denied", httpStatus: 401, code: "invalid_api_key", message: "Invalid API key." };
    const tenant = this.tenant();
    if (!tenant) return { status: "denied", httpStatus: 401, code: "invalid_api_key", message: "Invalid API key." };

    const who = attribute(auth.key, req);
    if ("denied" in who) return who.denied;

    const result = this.ctx.storage.transactionSync(() =>
      reserveTx({
        store: this.store,
        tenantId: tenant.tenantId,
        config: tenant.config,
        who,
        req,
        now,
        expectedOutput: (model, max) => this.expectedOutput(model, max),
        ttlMs: req.streaming ? RESERVATION_TTL_MS.stream : RESERVATION_TTL_MS.plain,
      }),
    );

    if (result.status === "allowed") {
      await this.scheduleAlarm(now + (req.streaming ? RESERVATION_TTL_MS.stream : RESERVATION_TTL_MS.plain));
    }
    return result;
  }

  /** Settles a reservation at the provider-reported cost; a duplicate changes nothing. */
  settle(req: SettleRequest): SettleResult {
    const now = Date.now();
    return this.ctx.storage.transactionSync((): SettleResult => {
      const r = this.store.reservation(req.reservationId);
      if (!r) return { applied: false, cost: 0, state: "unknown" };
      if (r.state === "settled" || r.state === "released") return { applied: false, cost: r.cost ?? 0, state: r.state };
      const cost = settleTx(this.store, r, req, now);
      if (req.outcome === "ok") this.learnOutput(r.model, req.usage.outputTokens);
      return { applied: true, cost, state: "settled" };
    });
  }

  /** Gives a reservation's hold back without spending (upstream error, client gone before the call). */
  release(reservationId: string): SettleResult {
    const now = Date.now();
    return this.ctx.storage.transactionSync((): SettleResult => {
      const r = this.store.reservation(reservationId);
      if (!r) return { applied: false, cost: 0, state: "unknown" };
      if (r.state !== "open") return { applied: false, cost: r.cost ?? 0, state: r.state };
      releaseTx(this.store, r, "released", now);
      return { applied: true, cost: 0, state: "released" };
    });
  }

  /** Releases reservations whose request never settled (a crashed or hung worker), then re-arms. */
  override async alarm(): Promise<void> {
    const now = Date.now();
    this.alarmAt = null;
    this.ctx.storage.transactionSync(() => {
      for (const r of this.store.expiredOpen(now, EXPIRE_BATCH)) releaseTx(this.store, r, "expired", now);
    });
    const next = this.store.nextExpiry();
    if (next !== null) await this.scheduleAlarm(Math.max(next, now + 1));
  }

  private async scheduleAlarm(at: number): Promise<void> {
    if (this.alarmAt !== null && this.alarmAt <= at) return;
    this.alarmAt = at;
    await this.ctx.storage.setAlarm(at);
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

  /** The 95th percentile of recent completions for the model, or a default before there is history. */
  private expectedOutput(model: string, modelMax: number): number {
    const s = this.samples(model);
    if (s.length < 20) return Math.min(DEFAULT_EXPECTED_OUTPUT, modelMax);
    const sorted = [...s].sort((a, b) => a - b);
    const p95 = sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.95))] ?? DEFAULT_EXPECTED_OUTPUT;
    return Math.min(Math.max(1, p95), modelMax);
  }

  // ---- reads --------------------------------------------------------------

  /** Every scope a caller falls under with limit, spent, reserved, remaining and reset. */
  budget(
    keyHash: string,
    userId: string | null,
    feature: string | null,
  ): { lines: BudgetLine[] } | Extract<ReserveResult, { status: "denied" }> {
    const now = Date.now();
    const auth = this.authenticate(keyHash, now);
    const tenant = this.tenant();
    if (!auth.ok || !tenant) return { status: "denied", httpStatus: 401, code: "invalid_api_key", message: "Invalid API key." };
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

  /** Usage per user, feature or model for a day or month; null when the tenant does not exist. */
  usage(q: Omit<UsageQuery, "at"> & { at?: string }): UsageReport | null {
    const t = this.tenant();
    if (!t) return null;
    const at = q.at ?? windowsAt(Date.now(), t.config.timezone)[q.period === "day" ? "daily" : "monthly"].key.replace(/^\w+:/, "");
    return usageReport(this.store, t.config, { ...q, at });
  }

  /** The monthly review per feature (default: the current month); null when the tenant does not exist. */
  review(month?: string): ReturnType<typeof reviewReport> | null {
    const t = this.tenant();
    if (!t) return null;
    return reviewReport(this.store, month ?? windowsAt(Date.now(), t.config.timezone).monthly.key.replace(/^month:/, ""));
  }

  /** The audit log, newest first; page with `beforeId`. */
  auditLog(limit = 100, beforeId: number | null = null): AuditEntry[] | null {
    if (!this.tenant()) return null;
    return this.store.auditLog(limit, beforeId).map((a) => ({
      id: a.id,
      at: new Date(a.at).toISOString(),
      actor: a.actor,
      action: a.action,
      target: a.target,
      before: a.before,
      after: a.after,
    }));
  }

  /** The alert outbox, newest first. */
  listAlerts(limit = 200): AlertInfo[] {
    return this.store.alerts(limit).map((a) => ({
      id: a.id,
      scope: a.scope,
      win: a.win,
      kind: a.kind,
      threshold: a.threshold,
      state: a.state,
      attempts: a.attempts,
      createdAt: new Date(a.created_at).toISOString(),
      deliveredAt: a.delivered_at === null ? null : new Date(a.delivered_at).toISOString(),
      lastError: a.last_error,
      payload: a.payload,
    }));
  }

  /** Counter rows for tests and reports. */
  counter(scope: string, win: string): { spent: number; reserved: number; requests: number } {
    const row = this.store.counters([scope], [win]).get(`${scope}\u0000${win}`);
    return { spent: row?.spent ?? 0, reserved: row?.reserved ?? 0, requests: row?.requests ?? 0 };
  }
}
