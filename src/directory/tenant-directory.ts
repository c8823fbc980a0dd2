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

/** The tenant directory. */
export class TenantDirectory extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec(`CREATE TABLE IF NOT EXISTS tenants (
      id TEXT PRIMARY KEY, name TEXT NOT NULL, timezone TEXT NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL) WITHOUT ROWID`);
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
}
