/**
 * GlobalLedger: the operator's whole-account cap, without a hot spot. It
 * never sees individual requests: tenant objects lease chunks of global
 * budget, spend them under their own reservation logic, and come back only
 * when a lease runs low. Invariant, per window: committed + outstanding
 * leases ≤ limit.
 */
import { DurableObject } from "cloudflare:workers";
import { toMicros } from "../budget/limits";
import { windowsAt } from "../budget/windows";
import type { Env } from "../env";
import { leaseSize } from "./lease-policy";
import type { GlobalSettings, GlobalStatus, LeaseGrant, LeaseRequest } from "./types";

/** The single instance's name. */
export const GLOBAL_NAME = "global";

/** A lease lives this long unless extended; a holder that vanishes costs at most one lifetime. */
const LEASE_TTL_MS = 30_000;
/** After expiry, a lease not returned is counted as fully spent. */
const GRACE_MS = 5_000;
/** While no global limit is set (or traffic is blocked), tenants ask again after this long; a change is pushed to them at once. */
const UNLIMITED_RECHECK_MS = 60_000;

type LeaseRow = {
  id: string;
  tenant: string;
  day: string;
  month: string;
  granted: number;
  expires_at: number;
  state: string;
};

/** The global budget. */
export class GlobalLedger extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const sql = ctx.storage.sql;
    sql.exec(`CREATE TABLE IF NOT EXISTS settings (id INTEGER PRIMARY KEY CHECK (id = 1), json TEXT NOT NULL)`);
    sql.exec(`CREATE TABLE IF NOT EXISTS committed (win TEXT PRIMARY KEY, spent INTEGER NOT NULL) WITHOUT ROWID`);
    sql.exec(`CREATE TABLE IF NOT EXISTS leases (
      id TEXT PRIMARY KEY, tenant TEXT NOT NULL, day TEXT NOT NULL, month TEXT NOT NULL,
      granted INTEGER NOT NULL, expires_at INTEGER NOT NULL, state TEXT NOT NULL)`);
    sql.exec(`CREATE INDEX IF NOT EXISTS leases_active ON leases (state, expires_at)`);
    if (
      !sql
        .exec(`PRAGMA table_info(leases)`)
        .toArray()
        .some((c) => c.name === "used")
    ) {
      sql.exec(`ALTER TABLE leases ADD COLUMN used INTEGER NOT NULL DEFAULT 0`);
    }
    // Call counters survive eviction (an idle GlobalLedger is evicted within seconds).
    sql.exec(`CREATE TABLE IF NOT EXISTS stats (name TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID`);
    // Tenants told "no limit" or "blocked" recently: told again at once when the operator changes the settings.
    sql.exec(`CREATE TABLE IF NOT EXISTS watchers (tenant TEXT PRIMARY KEY, until INTEGER NOT NULL) WITHOUT ROWID`);
  }

  private count(name: "acquire" | "release" | "revoke"): void {
    this.ctx.storage.sql.exec(`INSERT INTO stats (name, n) VALUES (?, 1) ON CONFLICT (name) DO UPDATE SET n = n + 1`, name);
  }

  private calls(): { acquire: number; release: number; revoke: number } {
    const out = { acquire: 0, release: 0, revoke: 0 };
    for (const r of this.ctx.storage.sql.exec<{ name: string; n: number }>(`SELECT name, n FROM stats`).toArray()) {
      if (r.name in out) out[r.name as keyof typeof out] = r.n;
    }
    return out;
  }

  private watch(tenant: string, until: number): void {
    this.ctx.storage.sql.exec(
      `INSERT INTO watchers (tenant, until) VALUES (?, ?) ON CONFLICT (tenant) DO UPDATE SET until = excluded.until`,
      tenant,
      until,
    );
  }

  private settings(): GlobalSettings {
    const row = this.ctx.storage.sql.exec<{ json: string }>(`SELECT json FROM settings WHERE id = 1`).toArray()[0];
    return row ? (JSON.parse(row.json) as GlobalSettings) : { limits: {}, blocked: false, leaseCapUsd: 10 };
  }

  private spent(win: string): number {
    return this.ctx.storage.sql.exec<{ spent: number }>(`SELECT spent FROM committed WHERE win = ?`, win).toArray()[0]?.spent ?? 0;
  }

  private addSpent(win: string, amount: number): void {
    if (amount === 0) return;
    this.ctx.storage.sql.exec(
      `INSERT INTO committed (win, spent) VALUES (?, ?) ON CONFLICT (win) DO UPDATE SET spent = spent + excluded.spent`,
      win,
      amount,
    );
  }

  private outstanding(column: "day" | "month", win: string): { total: number; holders: number } {
    const r = this.ctx.storage.sql
      .exec<{ total: number | null; holders: number }>(
        `SELECT SUM(granted) AS total, COUNT(DISTINCT tenant) AS holders FROM leases WHERE state = 'active' AND ${column} = ?`,
        win,
      )
      .toArray()[0];
    return { total: r?.total ?? 0, holders: r?.holders ?? 0 };
  }

  /** Spent from leases still open, as their holders last reported. */
  private used(column: "day" | "month", win: string): number {
    return (
      this.ctx.storage.sql
        .exec<{ u: number | null }>(`SELECT SUM(used) AS u FROM leases WHERE state = 'active' AND ${column} = ?`, win)
        .toArray()[0]?.u ?? 0
    );
  }

  private lease(id: string): LeaseRow | undefined {
    return this.ctx.storage.sql.exec<LeaseRow>(`SELECT * FROM leases WHERE id = ?`, id).toArray()[0] as LeaseRow | undefined;
  }

  /** Ends a lease: what was granted and not returned counts as committed. */
  private finish(l: LeaseRow, remaining: number, state: string): void {
    const consumed = l.granted - Math.max(0, remaining);
    this.addSpent(l.day, consumed);
    this.addSpent(l.month, consumed);
    this.ctx.storage.sql.exec(`UPDATE leases SET state = ? WHERE id = ?`, state, l.id);
  }

  /** Grants a new lease or extends the tenant's current one. */
  acquire(req: LeaseRequest): LeaseGrant {
    this.count("acquire");
    const now = Date.now();
    const s = this.settings();
    const w = windowsAt(now, "UTC");
    const dailyLimit = s.limits.daily ?? null;
    const monthlyLimit = s.limits.monthly ?? null;
    if (s.blocked || (dailyLimit === null && monthlyLimit === null)) {
      if (req.leaseId) this.releaseLease({ leaseId: req.leaseId, remaining: req.remaining ?? 0 });
      const checkAfter = now + UNLIMITED_RECHECK_MS;
      this.watch(req.tenant, checkAfter);
      return { kind: s.blocked ? "blocked" : "unlimited", checkAfter };
    }

    const current = req.leaseId ? this.lease(req.leaseId) : undefined;
    const reuse =
      current && current.state === "active" && current.day === w.daily.key && current.month === w.monthly.key ? current : undefined;
    if (current && !reuse && current.state === "active") this.finish(current, req.remaining ?? 0, "returned");

    // Headroom in each limited window: limit − committed − outstanding leases.
    const windows = [
      {
        kind: "daily" as const,
        limit: dailyLimit === null ? null : toMicros(dailyLimit),
        win: w.daily.key,
        col: "day" as const,
        resetAt: w.daily.resetAt,
      },
      {
        kind: "monthly" as const,
        limit: monthlyLimit === null ? null : toMicros(monthlyLimit),
        win: w.monthly.key,
        col: "month" as const,
        resetAt: w.monthly.resetAt,
      },
    ];
    let binding = windows[0]!;
    let headroom = Number.POSITIVE_INFINITY;
    let holders = 0;
    for (const x of windows) {
      if (x.limit === null) continue;
      const o = this.outstanding(x.col, x.win);
      const h = x.limit - this.spent(x.win) - o.total;
      holders = Math.max(holders, o.holders - (reuse ? 1 : 0));
      if (h < headroom) {
        headroom = h;
        binding = x;
      }
    }
    // What the tenant should hold; an extension only tops up to it (a renewal of a lease with plenty left adds nothing).
    const holding = reuse ? Math.max(0, req.remaining ?? 0) : 0;
    const target = leaseSize({
      want: req.want,
      ratePerSec: req.ratePerSec,
      headroom: headroom + holding,
      holders,
      cap: toMicros(s.leaseCapUsd),
      ttlSec: LEASE_TTL_MS / 1000,
    });
    const grant = Math.max(0, Math.min(headroom, Math.max(target - holding, req.want - holding)));
    const expiresAt = now + LEASE_TTL_MS;
    let id: string;
    if (!reuse && grant === 0) {
      // Nothing to lend: no lease row, the tenant blocks at the global scope and asks again later.
      id = "";
    } else if (reuse) {
      id = reuse.id;
      // The tenant's report of what it still holds tells how much of the lease is already spent.
      this.ctx.storage.sql.exec(
        `UPDATE leases SET used = MAX(0, granted - ?), granted = granted + ?, expires_at = ? WHERE id = ?`,
        holding,
        grant,
        expiresAt,
        id,
      );
    } else {
      id = crypto.randomUUID();
      this.ctx.storage.sql.exec(
        `INSERT INTO leases (id, tenant, day, month, granted, expires_at, state) VALUES (?, ?, ?, ?, ?, ?, 'active')`,
        id,
        req.tenant,
        w.daily.key,
        w.monthly.key,
        grant,
        expiresAt,
      );
    }
    if (id) void this.ctx.storage.setAlarm(expiresAt + GRACE_MS);
    return {
      kind: "lease",
      leaseId: id,
      grant,
      expiresAt,
      day: w.daily.key,
      month: w.monthly.key,
      window: binding.kind,
      limit: binding.limit ?? 0,
      resetAt: binding.resetAt,
    };
  }

  /** A tenant returns a lease (window rolled over, idle, restarted): the unspent part goes back. */
  releaseLease(req: { leaseId: string; remaining: number }): void {
    this.count("release");
    const l = this.lease(req.leaseId);
    if (!l) return;
    if (l.state === "active") this.finish(l, req.remaining, "returned");
    else if (l.state === "expired" && req.remaining > 0) {
      // Expiry counted it all as spent; a late return gives the unspent part back.
      this.addSpent(l.day, -req.remaining);
      this.addSpent(l.month, -req.remaining);
      this.ctx.storage.sql.exec(`UPDATE leases SET state = 'returned' WHERE id = ?`, l.id);
    }
  }

  /** Leases past their lifetime whose holder never came back count as spent: a lost holder cannot leak budget. */
  override async alarm(): Promise<void> {
    const now = Date.now();
    const stale = this.ctx.storage.sql
      .exec<LeaseRow>(`SELECT * FROM leases WHERE state = 'active' AND expires_at + ? <= ?`, GRACE_MS, now)
      .toArray() as LeaseRow[];
    for (const l of stale) this.finish(l, 0, "expired");
    const next = this.ctx.storage.sql
      .exec<{ t: number | null }>(`SELECT MIN(expires_at) AS t FROM leases WHERE state = 'active'`)
      .toArray()[0]?.t;
    if (next !== null && next !== undefined) await this.ctx.storage.setAlarm(next + GRACE_MS);
  }

  /** Operator settings; lowering a limit or blocking revokes every lease at once. */
  async configure(next: GlobalSettings): Promise<GlobalStatus> {
    this.ctx.storage.sql.exec(
      `INSERT INTO settings (id, json) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET json = excluded.json`,
      JSON.stringify(next),
    );
    await Promise.all([this.revokeAll(), this.notifyWatchers()]);
    return this.status();
  }

  /** Pulls every active lease back from its holder, so a change takes effect now rather than at expiry. */
  private async revokeAll(): Promise<void> {
    const active = this.ctx.storage.sql.exec<LeaseRow>(`SELECT * FROM leases WHERE state = 'active'`).toArray() as LeaseRow[];
    await Promise.all(
      active.map(async (l) => {
        this.count("revoke");
        try {
          const remaining = await this.env.TENANT_LEDGER.getByName(l.tenant).revokeGlobalLease(l.id);
          const fresh = this.lease(l.id);
          if (fresh?.state === "active") this.finish(fresh, remaining, "revoked");
        } catch (err) {
          // Unreachable holder: its lease still ends at expiry, counted as spent.
          console.error(JSON.stringify({ level: "error", msg: "global: lease revocation failed", tenant: l.tenant, error: String(err) }));
        }
      }),
    );
  }

  /** Tells tenants that cached "no limit" or "blocked" to ask again now, so a change applies to their next request. */
  private async notifyWatchers(): Promise<void> {
    const now = Date.now();
    const watchers = this.ctx.storage.sql.exec<{ tenant: string }>(`SELECT tenant FROM watchers WHERE until > ?`, now).toArray();
    this.ctx.storage.sql.exec(`DELETE FROM watchers`);
    await Promise.all(
      watchers.map(async (w) => {
        try {
          await this.env.TENANT_LEDGER.getByName(w.tenant).globalChanged();
        } catch (err) {
          // That tenant asks again when its cached answer runs out.
          console.error(JSON.stringify({ level: "error", msg: "global: notifying a tenant failed", tenant: w.tenant, error: String(err) }));
        }
      }),
    );
  }

  /** Limits, spend, outstanding leases and who holds them. */
  status(): GlobalStatus {
    const s = this.settings();
    const w = windowsAt(Date.now(), "UTC");
    const leases = this.ctx.storage.sql
      .exec<{ tenant: string; granted: number; expires_at: number }>(
        `SELECT tenant, granted, expires_at FROM leases WHERE state = 'active' ORDER BY tenant`,
      )
      .toArray();
    return {
      limits: s.limits,
      blocked: s.blocked,
      leaseCapUsd: s.leaseCapUsd,
      daily: {
        window: w.daily.key.slice(4),
        spentMicros: this.spent(w.daily.key),
        inUseMicros: this.used("day", w.daily.key),
        outstandingMicros: this.outstanding("day", w.daily.key).total,
      },
      monthly: {
        window: w.monthly.key.slice(6),
        spentMicros: this.spent(w.monthly.key),
        inUseMicros: this.used("month", w.monthly.key),
        outstandingMicros: this.outstanding("month", w.monthly.key).total,
      },
      leases: leases.map((l) => ({ tenant: l.tenant, grantedMicros: l.granted, expiresAt: new Date(l.expires_at).toISOString() })),
      calls: this.calls(),
    };
  }

  /** Prunes ended windows and finished leases (the cron's close). */
  close(): void {
    const w = windowsAt(Date.now(), "UTC");
    this.ctx.storage.sql.exec(`DELETE FROM leases WHERE state != 'active' AND day < ?`, w.daily.key);
    this.ctx.storage.sql.exec(
      `DELETE FROM committed WHERE (win LIKE 'day:%' AND win < ?) OR (win LIKE 'month:%' AND win < ?)`,
      windowsAt(Date.now() - 90 * 86_400_000, "UTC").daily.key,
      windowsAt(Date.now() - 400 * 86_400_000, "UTC").monthly.key,
    );
  }
}
