/**
 * The TenantLedger's storage as the step modules use it: one object over the
 * table-group modules of this folder (tenant, counters, reservations,
 * records, rollups), each built on the counted {@link Sql}. It only delegates:
 * every statement lives in its table group's module. Synchronous on purpose:
 * SQLite-backed Durable Object storage is synchronous, so a whole
 * read-check-write runs inside one `transactionSync` with no await in between.
 */
import type { FeatureConfig, TenantConfig, UserConfig } from "../../budget/tenant-config";
import type { BoundedCache } from "../state";
import { BurstStore } from "./bursts";
import { CounterStore, type CounterRow } from "./counters";
import { RecordStore, type AlertRow, type AuditRow, type DeliveryRow, type DueDelivery } from "./records";
import { ReservationStore, type ReservationRow } from "./reservations";
import { UsageStore, type RollupRecord } from "./rollups";
import type { Sql } from "./sql";
import { TenantStore, type KeyRow, type TenantRow } from "./tenant";

export type { AlertRow, AuditRow, CounterRow, DeliveryRow, DueDelivery, KeyRow, ReservationRow, RollupRecord, TenantRow };

type Counters = readonly (readonly [string, string])[];
type Delta = { spent?: number; reserved?: number; requests?: number };

/** Every table the ledger's steps read and write (allowances and contexts have their own modules). */
export class LedgerStore {
  private readonly t: TenantStore;
  private readonly c: CounterStore;
  private readonly r: ReservationStore;
  private readonly rec: RecordStore;
  private readonly u: UsageStore;
  /** Burst pools (storage/bursts.ts): the reserve, settle and release steps reach it through here. */
  readonly bursts: BurstStore;

  /** The settings caches are the object's (`LedgerState`). */
  constructor(sql: Sql, users: BoundedCache<UserConfig | undefined>, features: BoundedCache<FeatureConfig | undefined>) {
    this.t = new TenantStore(sql, users, features);
    this.c = new CounterStore(sql);
    this.r = new ReservationStore(sql);
    this.rec = new RecordStore(sql);
    this.u = new UsageStore(sql);
    this.bursts = new BurstStore(sql);
  }

  // ---- tenant, keys, settings (storage/tenant.ts) ----
  tenant = (): TenantRow | null => this.t.tenant();
  saveTenant = (tenantId: string, config: TenantConfig, now: number): void => this.t.saveTenant(tenantId, config, now);
  setWebhookSecret = (secret: string): void => this.t.setWebhookSecret(secret);
  setFrozen = (frozen: { at: number; reason: string } | null): void => this.t.setFrozen(frozen);
  keyByHash = (hash: string): KeyRow | undefined => this.t.keyByHash(hash);
  keyById = (id: string): KeyRow | undefined => this.t.keyById(id);
  keys = (): KeyRow[] => this.t.keys();
  insertKey = (k: KeyRow): void => this.t.insertKey(k);
  revokeKey = (id: string, at: number): void => this.t.revokeKey(id, at);
  user = (userId: string): UserConfig | undefined => this.t.user(userId);
  saveUser = (userId: string, config: UserConfig, now: number): void => this.t.saveUser(userId, config, now);
  feature = (feature: string): FeatureConfig | undefined => this.t.feature(feature);
  saveFeature = (feature: string, config: FeatureConfig, now: number): void => this.t.saveFeature(feature, config, now);
  featureIds = (): string[] => this.t.featureIds();

  // ---- counters and history (storage/counters.ts) ----
  counters = (scopes: readonly string[], wins: readonly string[]): Map<string, CounterRow> => this.c.get(scopes, wins);
  counterRows = (scope: string, win: string): CounterRow[] => this.c.withHistory(scope, win);
  bumpAll = (keys: Counters, delta: Delta): void => this.c.bumpAll(keys, delta);
  closedCounters = (today: string, thisMonth: string): CounterRow[] => this.c.closed(today, thisMonth);
  moveToHistory = (r: CounterRow, now: number): void => this.c.moveToHistory(r, now);
  pruneHistory = (oldestDay: string, oldestMonth: string): number => this.c.pruneHistory(oldestDay, oldestMonth);

  // ---- reservations (storage/reservations.ts) ----
  reservation = (id: string): ReservationRow | undefined => this.r.get(id);
  insertReservation = (r: ReservationRow): void => this.r.insert(r);
  closeReservation = (id: string, state: ReservationRow["state"], cost: number | null, now: number): void =>
    this.r.close(id, state, cost, now);
  deleteReservation = (id: string): void => this.r.remove(id);
  expiredOpen = (now: number, limit: number): ReservationRow[] => this.r.expiredOpen(now, limit);
  nextExpiry = (): number | null => this.r.nextExpiry();
  pruneReservations = (cutoff: number): number => this.r.prune(cutoff);

  // ---- alerts, deliveries, audit, replays, final notices (storage/records.ts) ----
  replay = (id: string): { status: number; contentType: string; body: string } | undefined => this.rec.replay(id);
  saveReplay = (id: string, r: { status: number; contentType: string; body: string }, now: number): void => this.rec.saveReplay(id, r, now);
  queueAlert = (a: Parameters<RecordStore["queueAlert"]>[0]): boolean => this.rec.queueAlert(a);
  pendingAlertIds = (): string[] => this.rec.pendingAlertIds();
  addDelivery = (alertId: string, dest: string, url: string, now: number): void => this.rec.addDelivery(alertId, dest, url, now);
  setAlertState = (alertId: string, state: string): void => this.rec.setAlertState(alertId, state);
  dueDeliveries = (now: number, limit: number): DueDelivery[] => this.rec.dueDeliveries(now, limit);
  nextDeliveryAt = (): number | null => this.rec.nextDeliveryAt();
  markDelivered = (alertId: string, dest: string, attempts: number, now: number): void =>
    this.rec.markDelivered(alertId, dest, attempts, now);
  markFailed = (alertId: string, dest: string, attempts: number, nextAttemptAt: number | null, error: string): void =>
    this.rec.markFailed(alertId, dest, attempts, nextAttemptAt, error);
  deliveries = (alertId: string): DeliveryRow[] => this.rec.deliveries(alertId);
  rollUpAlert = (alertId: string, state: string, error: string | null, deliveredAt: number | null): void =>
    this.rec.rollUpAlert(alertId, state, error, deliveredAt);
  alerts = (limit: number): AlertRow[] => this.rec.alerts(limit);
  claimFinalNotice = (userId: string, win: string, now: number): boolean => this.rec.claimFinalNotice(userId, win, now);
  audit = (e: Parameters<RecordStore["audit"]>[0]): void => this.rec.audit(e);
  auditLog = (limit: number, beforeId: number | null): AuditRow[] => this.rec.auditLog(limit, beforeId);
  pruneRecords = (detailCutoff: number, replayCutoff: number): number => this.rec.prune(detailCutoff, replayCutoff);

  // ---- usage: hourly rollups, hourly spend, learned output samples (storage/rollups.ts) ----
  rollup = (r: RollupRecord): void => this.u.rollup(r);
  bumpHour = (hour: number, spent: number): void => this.u.bumpHour(hour, spent);
  hours = (from: number): Map<number, number> => this.u.hours(from);
  spendByModel = (period: "day" | "month", at: string): { model: string; spent: number; requests: number }[] =>
    this.u.spendByModel(period, at);
  outputSamples = (model: string): number[] => this.u.outputSamples(model);
  saveOutputSamples = (model: string, samples: readonly number[]): void => this.u.saveOutputSamples(model, samples);
  pruneUsage = (detailCutoff: number, hourlyCutoff: number): number => this.u.prune(detailCutoff, hourlyCutoff);
}
