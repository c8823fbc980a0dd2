/**
 * The TenantLedger's admin side: configuration (audited), keys, reports.
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
import { keyInfo } from "./reserve";
import { migrate } from "./schema";
import { LedgerStore, type KeyRow, type TenantRow } from "./store";
import type { AlertInfo, AuditEntry, KeyInfo, Principal, ReserveResult } from "./types";

type AuthResult = { ok: true; key: KeyRow } | { ok: false; throttled: boolean };

/** More failed authentications than this per tenant object and minute are refused with a 429. */
const AUTH_FAILURES_ALLOWED = 20;
const AUTH_WINDOW_MS = 60_000;

/**
 * The TenantLedger's storage, caches, configuration, keys and reports: the
 * admin side of the object. The hot path and the alarm live in the subclass
 * (`tenant-ledger.ts`); both share one SQLite store and one set of caches.
 */
export abstract class LedgerBase extends DurableObject<Env> {
  protected readonly store: LedgerStore;
  protected tenantCache: TenantRow | null | undefined;
  protected readonly keyCache = new Map<string, KeyRow>();
  protected readonly outputSamples = new Map<string, number[]>();
  protected alarmAt: number | null = null;
  /** False until the object has (or had) a tenant: then its tables exist. */
  protected schemaReady: boolean;
  private readonly authFailures: number[] = [];

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.store = new LedgerStore(ctx.storage.sql);
    // An object that never held a tenant (e.g. addressed by a forged key) gets no schema: a guessing
    // attacker cannot make the guard write storage for every name it tries.
    this.schemaReady = ctx.storage.sql.exec(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'`).toArray().length > 0;
    if (this.schemaReady) migrate(ctx.storage.sql);
    void ctx.blockConcurrencyWhile(async () => {
      this.alarmAt = await ctx.storage.getAlarm();
    });
  }

  // ---- tenant configuration (every change is audited) --------------------

  protected tenant(): TenantRow | null {
    if (!this.schemaReady) return null;
    if (this.tenantCache === undefined) this.tenantCache = this.store.tenant();
    return this.tenantCache;
  }

  /** Creates or replaces the tenant (PUT): absent fields take their defaults. */
  putTenant(
    tenantId: string,
    input: TenantInput,
    actor: string,
  ): { tenantId: string; config: TenantConfig; created: boolean; webhookSecret: string | null } {
    if (!this.schemaReady) {
      migrate(this.ctx.storage.sql);
      this.schemaReady = true;
    }
    const now = Date.now();
    const config = replaceTenant(tenantId, input);
    const before = this.tenant();
    // The webhook signing secret is made once, at creation, and shown in that response only.
    const webhookSecret = before ? null : `whsec_${randomBase62(32)}`;
    this.ctx.storage.transactionSync(() => {
      this.store.saveTenant(tenantId, config, now);
      if (webhookSecret) this.store.setWebhookSecret(webhookSecret);
      this.store.audit({
        at: now,
        actor,
        action: before ? "tenant.replace" : "tenant.create",
        target: tenantId,
        before: before?.config ?? null,
        after: config,
      });
    });
    this.tenantCache = undefined;
    return { tenantId, config, created: before === null, webhookSecret };
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
    this.tenantCache = undefined;
    return { tenantId: t.tenantId, config };
  }

  /** The tenant's configuration, or null when it does not exist. */
  getTenant(): { tenantId: string; config: TenantConfig; frozen: { at: number; reason: string } | null } | null {
    const t = this.tenant();
    return t ? { tenantId: t.tenantId, config: t.config, frozen: t.frozen } : null;
  }

  /** Deletes the tenant and all its data; its keys stop working at once. */
  async deleteTenant(): Promise<boolean> {
    if (!this.tenant()) return false;
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
    this.keyCache.clear();
    this.outputSamples.clear();
    this.store.clearCaches();
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
    if (!this.schemaReady) return [];
    return this.store.keys().map(keyInfo);
  }

  /** Revokes a key; the next request with it fails (the in-memory cache entry goes with it). */
  revokeKey(id: string, actor: string): KeyInfo | null {
    if (!this.tenant()) return null;
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
  protected authenticate(keyHash: string, now: number): AuthResult {
    const row = this.tenant() ? (this.keyCache.get(keyHash) ?? this.store.keyByHash(keyHash)) : undefined;
    if (row) this.keyCache.set(keyHash, row);
    if (!row || row.revoked_at !== null || (row.expires_at !== null && row.expires_at <= now)) {
      // Failures are counted here, per tenant object: a guessing attack on one tenant's prefix is
      // refused without any global hot spot, and valid keys are never locked out (they are checked first).
      this.authFailures.push(now);
      while ((this.authFailures[0] ?? now) < now - AUTH_WINDOW_MS) this.authFailures.shift();
      return { ok: false, throttled: this.authFailures.length > AUTH_FAILURES_ALLOWED };
    }
    return { ok: true, key: row };
  }

  /** The denial for a failed authentication. */
  protected authDenied(a: { throttled: boolean }): Extract<ReserveResult, { status: "denied" }> {
    return a.throttled
      ? {
          status: "denied",
          httpStatus: 429,
          code: "too_many_auth_failures",
          message: "Too many failed authentication attempts for this tenant; try again in a minute.",
        }
      : { status: "denied", httpStatus: 401, code: "invalid_api_key", message: "Invalid API key." };
  }

  /** The principal behind a key hash, for the admin API's role checks. */
  whoami(keyHash: string): Principal | "throttled" | null {
    const a = this.authenticate(keyHash, Date.now());
    if (!a.ok) return a.throttled ? "throttled" : null;
    return { keyId: a.key.id, role: a.key.role, userId: a.key.user_id, feature: a.key.feature };
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
    if (!this.schemaReady) return [];
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
      deliveries: this.store
        .all<{
          dest: string;
          state: string;
          attempts: number;
          last_error: string | null;
          delivered_at: number | null;
          next_attempt_at: number | null;
        }>(`SELECT dest, state, attempts, last_error, delivered_at, next_attempt_at FROM deliveries WHERE alert_id = ? ORDER BY dest`, a.id)
        .map((d) => ({
          dest: d.dest,
          state: d.state,
          attempts: d.attempts,
          lastError: d.last_error,
          deliveredAt: d.delivered_at === null ? null : new Date(d.delivered_at).toISOString(),
          nextAttemptAt: d.next_attempt_at === null || d.state !== "pending" ? null : new Date(d.next_attempt_at).toISOString(),
        })),
    }));
  }

  /** Counter rows for tests and reports. */
  counter(scope: string, win: string): { spent: number; reserved: number; requests: number } {
    if (!this.schemaReady) return { spent: 0, reserved: 0, requests: 0 };
    const row = this.store.counters([scope], [win]).get(`${scope}\u0000${win}`);
    return { spent: row?.spent ?? 0, reserved: row?.reserved ?? 0, requests: row?.requests ?? 0 };
  }

  protected async scheduleAlarm(at: number): Promise<void> {
    if (this.alarmAt !== null && this.alarmAt <= at) return;
    this.alarmAt = at;
    await this.ctx.storage.setAlarm(at);
  }
}
