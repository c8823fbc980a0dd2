/**
 * Storage of the tenant's configuration: the `tenant` row, `keys`, `users`
 * and `features`. User and feature settings are read through the object's
 * bounded caches (`LedgerState`): every reserve reads them, only the admin
 * API writes them, and a write updates the cache in the same call.
 */
import type { Role } from "../../auth/keys";
import { tenantDefaults, type FeatureConfig, type TenantConfig, type UserConfig } from "../../budget/tenant-config";
import type { BoundedCache } from "../state";
import type { Sql } from "./sql";

/** The tenant row as read. */
export interface TenantRow {
  tenantId: string;
  config: TenantConfig;
  createdAt: number;
  updatedAt: number;
  /** HMAC secret for the tenant's alert webhook. */
  webhookSecret: string | null;
  /** Set when a spend spike froze the tenant (`onSpike: "freeze"`). */
  frozen: { at: number; reason: string } | null;
}

/** A key row as stored. */
export interface KeyRow {
  id: string;
  hash: string;
  name: string;
  role: Role;
  user_id: string | null;
  feature: string | null;
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
}

/** The `tenant`, `keys`, `users` and `features` tables. */
export class TenantStore {
  constructor(
    private readonly sql: Sql,
    private readonly userCache: BoundedCache<UserConfig | undefined>,
    private readonly featureCache: BoundedCache<FeatureConfig | undefined>,
  ) {}

  tenant(): TenantRow | null {
    const r = this.sql.first<{
      tenant_id: string;
      config: string;
      created_at: number;
      updated_at: number;
      webhook_secret: string | null;
      frozen_at: number | null;
      frozen_reason: string | null;
    }>(`SELECT * FROM tenant WHERE id = 1`);
    // Defaults first: a config stored before a field existed still reads complete.
    return r
      ? {
          tenantId: r.tenant_id,
          config: { ...tenantDefaults(r.tenant_id), ...(JSON.parse(r.config) as Partial<TenantConfig>) },
          createdAt: r.created_at,
          updatedAt: r.updated_at,
          webhookSecret: r.webhook_secret,
          frozen: r.frozen_at === null ? null : { at: r.frozen_at, reason: r.frozen_reason ?? "" },
        }
      : null;
  }

  saveTenant(tenantId: string, config: TenantConfig, now: number): void {
    this.sql.run(
      `INSERT INTO tenant (id, tenant_id, config, created_at, updated_at) VALUES (1, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET config = excluded.config, updated_at = excluded.updated_at`,
      tenantId,
      JSON.stringify(config),
      now,
      now,
    );
  }

  setWebhookSecret(secret: string): void {
    this.sql.run(`UPDATE tenant SET webhook_secret = ? WHERE id = 1`, secret);
  }

  setFrozen(frozen: { at: number; reason: string } | null): void {
    this.sql.run(`UPDATE tenant SET frozen_at = ?, frozen_reason = ? WHERE id = 1`, frozen?.at ?? null, frozen?.reason ?? null);
  }

  keyByHash(hash: string): KeyRow | undefined {
    return this.sql.first<KeyRow>(`SELECT * FROM keys WHERE hash = ?`, hash);
  }

  keyById(id: string): KeyRow | undefined {
    return this.sql.first<KeyRow>(`SELECT * FROM keys WHERE id = ?`, id);
  }

  keys(): KeyRow[] {
    return this.sql.all<KeyRow>(`SELECT * FROM keys ORDER BY created_at, id`);
  }

  insertKey(k: KeyRow): void {
    this.sql.run(
      `INSERT INTO keys (id, hash, name, role, user_id, feature, created_at, expires_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      k.id,
      k.hash,
      k.name,
      k.role,
      k.user_id,
      k.feature,
      k.created_at,
      k.expires_at,
      k.revoked_at,
    );
  }

  revokeKey(id: string, at: number): void {
    this.sql.run(`UPDATE keys SET revoked_at = ? WHERE id = ?`, at, id);
  }

  /** A user's settings (cached). */
  user(userId: string): UserConfig | undefined {
    if (this.userCache.has(userId)) return this.userCache.get(userId);
    const r = this.sql.first<{ config: string }>(`SELECT config FROM users WHERE user_id = ?`, userId);
    const config = r ? (JSON.parse(r.config) as UserConfig) : undefined;
    this.userCache.set(userId, config);
    return config;
  }

  saveUser(userId: string, config: UserConfig, now: number): void {
    this.sql.run(
      `INSERT INTO users (user_id, config, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (user_id) DO UPDATE SET config = excluded.config, updated_at = excluded.updated_at`,
      userId,
      JSON.stringify(config),
      now,
    );
    this.userCache.set(userId, config);
  }

  /** A feature's settings (cached like users'). */
  feature(feature: string): FeatureConfig | undefined {
    if (this.featureCache.has(feature)) return this.featureCache.get(feature);
    const r = this.sql.first<{ config: string }>(`SELECT config FROM features WHERE feature = ?`, feature);
    const config = r ? (JSON.parse(r.config) as FeatureConfig) : undefined;
    this.featureCache.set(feature, config);
    return config;
  }

  saveFeature(feature: string, config: FeatureConfig, now: number): void {
    this.sql.run(
      `INSERT INTO features (feature, config, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (feature) DO UPDATE SET config = excluded.config, updated_at = excluded.updated_at`,
      feature,
      JSON.stringify(config),
      now,
    );
    this.featureCache.set(feature, config);
  }

  /** Every declared feature, by name. */
  featureIds(): string[] {
    return this.sql.all<{ feature: string }>(`SELECT feature FROM features ORDER BY feature`).map((r) => r.feature);
  }
}
