/**
 * Storage of `reservations`: one row per reserved call, holding the exact
 * counter rows it reserved in, its rates and its state
 * (`open → settled | released | expired`).
 */
import type { Sql } from "./sql";

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
  /** Burst pools the call drew on (JSON, src/ledger/storage/bursts.ts); null or absent when it drew none. */
  burst?: string | null;
}

/** The `reservations` table. */
export class ReservationStore {
  constructor(private readonly sql: Sql) {}

  get(id: string): ReservationRow | undefined {
    return this.sql.first<ReservationRow>(`SELECT * FROM reservations WHERE id = ?`, id);
  }

  insert(r: ReservationRow): void {
    this.sql.run(
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

  close(id: string, state: ReservationRow["state"], cost: number | null, now: number): void {
    this.sql.run(`UPDATE reservations SET state = ?, cost = ?, closed_at = ? WHERE id = ?`, state, cost, now, id);
  }

  remove(id: string): void {
    this.sql.run(`DELETE FROM reservations WHERE id = ?`, id);
  }

  expiredOpen(now: number, limit: number): ReservationRow[] {
    return this.sql.all<ReservationRow>(
      `SELECT * FROM reservations WHERE state = 'open' AND expires_at <= ? ORDER BY expires_at LIMIT ?`,
      now,
      limit,
    );
  }

  nextExpiry(): number | null {
    return this.sql.first<{ t: number | null }>(`SELECT MIN(expires_at) AS t FROM reservations WHERE state = 'open'`)?.t ?? null;
  }

  /** Deletes closed reservations made before `cutoff`; returns rows removed. */
  prune(cutoff: number): number {
    return this.sql.run(`DELETE FROM reservations WHERE state != 'open' AND created_at < ?`, cutoff);
  }
}
