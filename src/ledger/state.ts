/**
 * The TenantLedger's memory: every cache and every piece of in-memory state
 * the object keeps between requests, in one plain class, and the bundle of
 * handles ({@link Ledger}) the step modules take. Nothing here runs SQL: the
 * caches are filled by the steps, from `src/ledger/storage/`.
 *
 * All of it may be lost at any time (eviction, restart): storage is the truth,
 * and every field is either a cache re-read on a miss or a schedule that the
 * next alarm or request rebuilds.
 */
import type { FeatureConfig, UserConfig } from "../budget/tenant-config";
import type { Adjustments } from "../budget/reallocation";
import type { Env } from "../env";
import type { PoolIndex } from "./bursts-reserve";
import type { GlobalLeaseHolder } from "./global-lease";
import type { BackgroundStore } from "./storage/background";
import type { ContextStore } from "./storage/contexts";
import type { KeyRow, LedgerStore, TenantRow } from "./storage";
import type { Sql } from "./storage/sql";

/** Entries of user and feature settings kept in memory. */
const CACHE_LIMIT = 10_000;

/** A map that forgets everything when full: a tenant with millions of users keeps only a working set. */
export class BoundedCache<T> {
  private readonly map = new Map<string, T>();

  constructor(private readonly limit = CACHE_LIMIT) {}

  has(key: string): boolean {
    return this.map.has(key);
  }

  get(key: string): T | undefined {
    return this.map.get(key);
  }

  set(key: string, value: T): void {
    if (this.map.size >= this.limit && !this.map.has(key)) this.map.clear();
    this.map.set(key, value);
  }

  delete(key: string): void {
    this.map.delete(key);
  }

  clear(): void {
    this.map.clear();
  }
}

/** The object's in-memory state. */
export class LedgerState {
  /** False until the object has (or had) a tenant: then its tables exist. */
  schemaReady: boolean;
  /** The tenant row; undefined = not read yet, null = no tenant. */
  tenant: TenantRow | null | undefined = undefined;
  /** Key rows by hash; revocation and deletion evict. */
  readonly keys = new Map<string, KeyRow>();
  /** User settings (undefined = the user has none stored). */
  readonly users = new BoundedCache<UserConfig | undefined>();
  /** Feature settings (undefined = not declared). */
  readonly features = new BoundedCache<FeatureConfig | undefined>();
  /** Monthly limit adjustments of applied reallocations (undefined = not read yet); an approval updates it. */
  adjustments: Adjustments | undefined = undefined;
  /** Burst pools by scope (undefined = not read yet): read on the first request that falls short, reset by every pool change. */
  burstPools: PoolIndex | undefined = undefined;
  /** Learned output per choice, newest first, per model. */
  readonly outputSamples = new Map<string, number[]>();
  /** The alarm time set, or null: a later alarm never replaces an earlier one. */
  alarmAt: number | null = null;
  /** When the spike and burn-rate checks are due (5 min after spend moved), or null. */
  anomalyDueAt: number | null = null;
  /** When the stored-context cap was last enforced (its scan runs hourly). */
  contextsPrunedAt = 0;
  /** The tenant's share of the global budget, made on first use. */
  lease: GlobalLeaseHolder | null = null;
  /** Failed authentications in the last minute (epoch ms, oldest first). */
  readonly authFailures: number[] = [];
  /** RPCs served since the object started (`stats()`). */
  rpcs = 0;

  constructor(schemaReady: boolean) {
    this.schemaReady = schemaReady;
  }

  /** Forgets everything cached about the tenant (after its data is deleted). */
  forgetTenant(): void {
    this.keys.clear();
    this.users.clear();
    this.features.clear();
    this.outputSamples.clear();
    this.adjustments = undefined;
    this.burstPools = undefined;
    this.tenant = null;
    this.alarmAt = null;
  }
}

/** What every step module works with: the object's handles, its storage and its memory. */
export interface Ledger {
  readonly ctx: DurableObjectState;
  readonly env: Env;
  readonly state: LedgerState;
  /** Counted SQL: every storage module is built on it. */
  readonly sql: Sql;
  readonly store: LedgerStore;
  /** Token totals of stored responses and conversations (DESIGN "Stateful context counts"). */
  readonly contexts: ContextStore;
  /** Background responses polled to their end (DESIGN "Asynchronous work is metered"). */
  readonly jobs: BackgroundStore;
}
