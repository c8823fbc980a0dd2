/**
 * Typed SQL helpers over the TenantLedger's storage. Synchronous on purpose:
 * SQLite-backed Durable Object storage is synchronous, so a whole
 * read-check-write runs inside one `transactionSync` with no await in between.
 */
import type { Role } from "../auth/keys";
import { LedgerRecords, type Binding } from "./records";
import { tenantDefaults, type FeatureConfig, type TenantConfig, type UserConfig } from "../budget/tenant-config";
import type { BoundedCache } from "./state";
import type { Sql } from "./storage/sql";

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

/** A reservation row as stored. */
export interface ReservationRow {
  id: string;
  user_id: string;
  feature: string;
  model: string;
  amount: number;
  counters: string;
  rates: string;
  created_at: number;
  expires_at: number;
  state: "open" | "settled" | "released" | "expired";
  cost: number | null;
  /** Hash of (key, user, feature, route, body) for Idempotency-Key scoping; null when not sent. */
  fingerprint: string | null;
  /** Output cap (total across choices) the guard chose for an uncapped call; null when the client capped it. */
  output_cap: number | null;
  /** Choices the call asked for (null before v5: one). */
  choices: number | null;
}

/** Counter state of one scope in one window. */
export interface CounterRow {
  scope: string;
  win: string;
  spent: number;
  reserved: number;
  requests: number;
}

/** The storage operations the ledger uses. */
export class LedgerStore extends LedgerRecords {
  /** The settings caches are the object's (`LedgerState`): every reserve reads them, only the admin API writes them. */
  constructor(
    sql: Sql,
    private readonly userCache: BoundedCache<UserConfig | undefined>,
    private readonly featureCache: BoundedCache<FeatureConfig | undefined>,
  ) {
    super(sql);
  }

  tenant(): TenantRow | null {
    const r = this.first<{
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
    this.run(
      `INSERT INTO tenant (id, tenant_id, config, created_at, updated_at) VALUES (1, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET config = excluded.config, updated_at = excluded.updated_at`,
      tenantId,
      JSON.stringify(config),
      now,
      now,
    );
  }

  setWebhookSecret(secret: string): void {
    this.run(`UPDATE tenant SET webhook_secret = ? WHERE id = 1`, secret);
  }

  setFrozen(frozen: { at: number; reason: string } | null): void {
    this.run(`UPDATE tenant SET frozen_at = ?, frozen_reason = ? WHERE id = 1`, frozen?.at ?? null, frozen?.reason ?? null);
  }

  keyByHash(hash: string): KeyRow | undefined {
    return this.first<KeyRow>(`SELECT * FROM keys WHERE hash = ?`, hash);
  }

  keyById(id: string): KeyRow | undefined {
    return this.first<KeyRow>(`SELECT * FROM keys WHERE id = ?`, id);
  }

  keys(): KeyRow[] {
    return this.rows<KeyRow>(`SELECT * FROM keys ORDER BY created_at, id`);
  }

  insertKey(k: KeyRow): void {
    this.run(
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
    this.run(`UPDATE keys SET revoked_at = ? WHERE id = ?`, at, id);
  }

  /** A user's settings; cached, since every reserve reads them and only the admin API writes them. */
  user(userId: string): UserConfig | undefined {
    if (this.userCache.has(userId)) return this.userCache.get(userId);
    const r = this.first<{ config: string }>(`SELECT config FROM users WHERE user_id = ?`, userId);
    const config = r ? (JSON.parse(r.config) as UserConfig) : undefined;
    this.userCache.set(userId, config);
    return config;
  }

  saveUser(userId: string, config: UserConfig, now: number): void {
    this.run(
      `INSERT INTO users (user_id, config, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (user_id) DO UPDATE SET config = excluded.config, updated_at = excluded.updated_at`,
      userId,
      JSON.stringify(config),
      now,
    );
    this.userCache.set(userId, config);
  }

  /** A feature's settings; cached like users'. */
  feature(feature: string): FeatureConfig | undefined {
    if (this.featureCache.has(feature)) return this.featureCache.get(feature);
    const r = this.first<{ config: string }>(`SELECT config FROM features WHERE feature = ?`, feature);
    const config = r ? (JSON.parse(r.config) as FeatureConfig) : undefined;
    this.featureCache.set(feature, config);
    return config;
  }

  saveFeature(feature: string, config: FeatureConfig, now: number): void {
    this.run(
      `INSERT INTO features (feature, config, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (feature) DO UPDATE SET config = excluded.config, updated_at = excluded.updated_at`,
      feature,
      JSON.stringify(config),
      now,
    );
    this.featureCache.set(feature, config);
  }

  /** Counters for the given scopes in the given windows (missing rows are zero). */
  counters(scopes: readonly string[], wins: readonly string[]): Map<string, CounterRow> {
    const out = new Map<string, CounterRow>();
    if (scopes.length === 0 || wins.length === 0) return out;
    const rows = this.rows<CounterRow>(
      `SELECT scope, win, spent, reserved, requests FROM counters
       WHERE scope IN (${scopes.map(() => "?").join(",")}) AND win IN (${wins.map(() => "?").join(",")})`,
      ...scopes,
      ...wins,
    );
    for (const r of rows) out.set(`${r.scope}\u0000${r.win}`, r);
    return out;
  }

  /**
   * Counter rows of one window whose scope is `scope` or starts with it (when
   * it ends in ':'), live counters and closed history together: a late
   * settlement can add to a window after its close moved it.
   */
  counterRows(scope: string, win: string): CounterRow[] {
    const [cond, b] = scope.endsWith(":") ? ["scope >= ? AND scope < ?", [scope, scope.slice(0, -1) + ";"]] : ["scope = ?", [scope]];
    return this.rows<CounterRow>(
      `SELECT scope, win, SUM(spent) AS spent, SUM(reserved) AS reserved, SUM(requests) AS requests FROM (
         SELECT scope, win, spent, reserved, requests FROM counters WHERE win = ? AND ${cond}
         UNION ALL
         SELECT scope, win, spent, 0 AS reserved, requests FROM history WHERE win = ? AND ${cond}
       ) GROUP BY scope, win ORDER BY scope`,
      win,
      ...b,
      win,
      ...b,
    );
  }

  /** Adds settled spend to its hour, for spike detection. */
  bumpHour(hour: number, spent: number): void {
    this.run(`INSERT INTO hourly (hour, spent) VALUES (?, ?) ON CONFLICT (hour) DO UPDATE SET spent = spent + excluded.spent`, hour, spent);
  }

  /** Hourly spend since `from`. */
  hours(from: number): Map<number, number> {
    return new Map(
      this.rows<{ hour: number; spent: number }>(`SELECT hour, spent FROM hourly WHERE hour >= ?`, from).map((r) => [r.hour, r.spent]),
    );
  }

  /** Settled spend per model in a day or month, from the per-request detail. */
  spendByModel(period: "day" | "month", at: string): { model: string; spent: number; requests: number }[] {
    return this.rows(
      `SELECT model, SUM(cost) AS spent, COUNT(*) AS requests FROM requests WHERE ${period === "day" ? "day" : "month"} = ? GROUP BY model`,
      `${period}:${at}`,
    );
  }

  featureIds(): string[] {
    return this.rows<{ feature: string }>(`SELECT feature FROM features ORDER BY feature`).map((r) => r.feature);
  }

  /**
   * Adds the same delta to several counters in one statement: a request
   * touches 6–8 counter rows, and one multi-row upsert costs far less than
   * as many statements on the hot path.
   */
  bumpAll(keys: readonly (readonly [string, string])[], delta: { spent?: number; reserved?: number; requests?: number }): void {
    if (keys.length === 0) return;
    const b: Binding[] = [];
    for (const [scope, win] of keys) b.push(scope, win, delta.spent ?? 0, delta.reserved ?? 0, delta.requests ?? 0);
    this.run(
      `INSERT INTO counters (scope, win, spent, reserved, requests) VALUES ${keys.map(() => "(?, ?, ?, ?, ?)").join(", ")}
       ON CONFLICT (scope, win) DO UPDATE SET
         spent = spent + excluded.spent, reserved = reserved + excluded.reserved, requests = requests + excluded.requests`,
      ...b,
    );
  }

  deleteReservation(id: string): void {
    this.run(`DELETE FROM reservations WHERE id = ?`, id);
  }

  reservation(id: string): ReservationRow | undefined {
    return this.first<ReservationRow>(`SELECT * FROM reservations WHERE id = ?`, id);
  }

  insertReservation(r: ReservationRow): void {
    this.run(
      `INSERT INTO reservations (id, user_id, feature, model, amount, counters, rates, created_at, expires_at, state, cost, fingerprint, output_cap, choices)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      r.id,
      r.user_id,
      r.feature,
      r.model,
      r.amount,
      r.counters,
      r.rates,
      r.created_at,
      r.expires_at,
      r.state,
      r.cost,
      r.fingerprint,
      r.output_cap,
      r.choices,
    );
  }

  closeReservation(id: string, state: ReservationRow["state"], cost: number | null, now: number): void {
    this.run(`UPDATE reservations SET state = ?, cost = ?, closed_at = ? WHERE id = ?`, state, cost, now, id);
  }

  expiredOpen(now: number, limit: number): ReservationRow[] {
    return this.rows<ReservationRow>(
      `SELECT * FROM reservations WHERE state = 'open' AND expires_at <= ? ORDER BY expires_at LIMIT ?`,
      now,
      limit,
    );
  }

  nextExpiry(): number | null {
    const r = this.first<{ t: number | null }>(`SELECT MIN(expires_at) AS t FROM reservations WHERE state = 'open'`);
    return r?.t ?? null;
  }

  /** The latest per-choice completions that taught the learned estimate (guard-capped calls only). */
  recentOutputTokens(model: string, limit: number): number[] {
    return this.rows<{ output_sample: number }>(
      `SELECT output_sample FROM requests WHERE model = ? AND output_sample IS NOT NULL ORDER BY ts DESC LIMIT ?`,
      model,
      limit,
    ).map((r) => r.output_sample);
  }
}
