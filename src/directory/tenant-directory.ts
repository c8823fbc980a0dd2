/**
 * TenantDirectory: one small Durable Object listing every tenant, so the
 * operator can list tenants and the cron can fan out over them in bounded
 * pages. It is off the hot path: only admin writes and the cron touch it.
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";

/** The directory's single instance name. */
export const DIRECTORY_NAME = "directory";

/** A tenant as the directory lists it. */
export interface DirectoryEntry {
  id: string;
  name: string;
  timezone: string;
  createdAt: string;
  updatedAt: string;
}

/** A page of tenants, ordered by id. */
export interface DirectoryPage {
  tenants: DirectoryEntry[];
  /** Pass as `after` to get the next page; null at the end. */
  next: string | null;
}

/** Kinds of sweep the cron can start. */
export type SweepKind = "close" | "alerts";

/** Tenants per alarm run, and RPCs in flight at once: bounded so each run stays far inside its limits. */
const BATCH = 100;
const CONCURRENCY = 10;

/** The tenant directory. */
export class TenantDirectory extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec(`CREATE TABLE IF NOT EXISTS tenants (
      id TEXT PRIMARY KEY, name TEXT NOT NULL, timezone TEXT NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL) WITHOUT ROWID`);
    ctx.storage.sql.exec(`CREATE TABLE IF NOT EXISTS pending_alerts (id TEXT PRIMARY KEY, at INTEGER NOT NULL) WITHOUT ROWID`);
    ctx.storage.sql.exec(`CREATE TABLE IF NOT EXISTS sweeps (kind TEXT PRIMARY KEY, cursor TEXT NOT NULL, started_at INTEGER NOT NULL)`);
  }

  /** Adds or updates a tenant. */
  upsert(t: { id: string; name: string; timezone: string }): void {
    const now = Date.now();
    this.ctx.storage.sql.exec(
      `INSERT INTO tenants (id, name, timezone, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET name = excluded.name, timezone = excluded.timezone, updated_at = excluded.updated_at`,
      t.id,
      t.name,
      t.timezone,
      now,
      now,
    );
  }

  /** Notes that a tenant has alert deliveries waiting, for the alert sweep. */
  markPending(id: string): void {
    this.ctx.storage.sql.exec(`INSERT INTO pending_alerts (id, at) VALUES (?, ?) ON CONFLICT (id) DO NOTHING`, id, Date.now());
  }

  /** Removes a tenant. */
  remove(id: string): void {
    this.ctx.storage.sql.exec(`DELETE FROM tenants WHERE id = ?`, id);
  }

  /** One page of tenants after `after` (exclusive). */
  list(after: string | null, limit: number): DirectoryPage {
    const rows = this.ctx.storage.sql
      .exec<{ id: string; name: string; timezone: string; created_at: number; updated_at: number }>(
        `SELECT * FROM tenants WHERE id > ? ORDER BY id LIMIT ?`,
        after ?? "",
        limit + 1,
      )
      .toArray();
    const page = rows.slice(0, limit);
    return {
      tenants: page.map((r) => ({
        id: r.id,
        name: r.name,
        timezone: r.timezone,
        createdAt: new Date(r.created_at).toISOString(),
        updatedAt: new Date(r.updated_at).toISOString(),
      })),
      next: rows.length > limit ? (page[page.length - 1]?.id ?? null) : null,
    };
  }

  // ---- sweeps: the cron's fan-out, in bounded batches driven by this object's alarm ----

  /** Starts (or restarts) a sweep over every tenant (`close`) or over tenants with undelivered alerts (`alerts`). */
  async startSweep(kind: SweepKind): Promise<void> {
    this.ctx.storage.sql.exec(
      `INSERT INTO sweeps (kind, cursor, started_at) VALUES (?, '', ?) ON CONFLICT (kind) DO UPDATE SET cursor = '', started_at = excluded.started_at`,
      kind,
      Date.now(),
    );
    await this.ctx.storage.setAlarm(Date.now());
  }

  /** Sweeps in progress, for tests and operators. */
  sweeps(): { kind: string; cursor: string; startedAt: number }[] {
    return this.ctx.storage.sql
      .exec<{ kind: string; cursor: string; started_at: number }>(`SELECT * FROM sweeps`)
      .toArray()
      .map((r) => ({ kind: r.kind, cursor: r.cursor, startedAt: r.started_at }));
  }

  /** One batch of every running sweep per run; re-arms until all are done. */
  override async alarm(): Promise<void> {
    for (const sweep of this.sweeps()) {
      const ids =
        sweep.kind === "alerts"
          ? this.ctx.storage.sql
              .exec<{ id: string }>(`SELECT id FROM pending_alerts WHERE id > ? ORDER BY id LIMIT ?`, sweep.cursor, BATCH)
              .toArray()
              .map((r) => r.id)
          : this.list(sweep.cursor, BATCH).tenants.map((t) => t.id);
      for (let i = 0; i < ids.length; i += CONCURRENCY) {
        await Promise.all(
          ids.slice(i, i + CONCURRENCY).map(async (id) => {
            try {
              // tick() closes ended windows, delivers due alerts and re-arms the tenant's own alarm.
              const r = await this.env.TENANT_LEDGER.getByName(id).tick();
              if (!r.pendingDeliveries) this.ctx.storage.sql.exec(`DELETE FROM pending_alerts WHERE id = ?`, id);
            } catch (err) {
              console.error(
                JSON.stringify({ level: "error", msg: "sweep: tenant tick failed", sweep: sweep.kind, tenant: id, error: String(err) }),
              );
            }
          }),
        );
      }
      if (ids.length < BATCH) this.ctx.storage.sql.exec(`DELETE FROM sweeps WHERE kind = ?`, sweep.kind);
      else this.ctx.storage.sql.exec(`UPDATE sweeps SET cursor = ? WHERE kind = ?`, ids[ids.length - 1] ?? "", sweep.kind);
    }
    if (this.sweeps().length > 0) await this.ctx.storage.setAlarm(Date.now() + 1000);
  }
}
