/**
 * Storage of stored-context totals (DESIGN "Stateful context counts"):
 * `contexts` (tokens recorded per response and conversation id) and
 * `context_uses` (the context each open reservation counted at reserve, so
 * its settlement grows the totals by the new tokens only).
 */
import type { SettleRequest } from "../types";
import { addedTokens } from "../contexts";
import type { Sql } from "./sql";

/** OpenAI keeps stored responses for 30 days; a row older than that names nothing the provider still has. */
export const CONTEXT_RETENTION_MS = 30 * 24 * 3600_000;
/** Rows kept per tenant at most (the oldest go first): storage stays bounded whatever the traffic. */
export const CONTEXT_ROWS_MAX = 100_000;
/** A use row outlives any reservation (background jobs included) by a wide margin before it is pruned. */
const USE_RETENTION_MS = 2 * 24 * 3600_000;

/** The tenant's stored-context totals. Synchronous: it runs inside the ledger's transactions. */
export class ContextStore {
  constructor(private readonly sql: Sql) {}

  /** Tokens recorded for a response or conversation id, or null. */
  tokens(kind: "response" | "conversation", id: string): number | null {
    const r = this.sql.first<{ tokens: number }>(`SELECT tokens FROM contexts WHERE id = ? AND kind = ?`, id, kind);
    return r ? Number(r.tokens) : null;
  }

  /** Remembers the stored context a reservation counted, for its settlement. */
  noteUse(reservationId: string, tokens: number, now: number): void {
    this.sql.run(
      `INSERT INTO context_uses (reservation_id, tokens, at) VALUES (?, ?, ?)
       ON CONFLICT (reservation_id) DO UPDATE SET tokens = excluded.tokens`,
      reservationId,
      tokens,
      now,
    );
  }

  /**
   * Records what a settled call leaves stored: its response's total (for a
   * later `previous_response_id`) and its conversation's growth.
   */
  recordSettled(reservationId: string, req: Pick<SettleRequest, "usage" | "outcome" | "responseId" | "conversationId">, now: number): void {
    const use = this.sql.first<{ tokens: number }>(`SELECT tokens FROM context_uses WHERE reservation_id = ?`, reservationId);
    const counted = use ? Number(use.tokens) : 0;
    if (use) this.sql.run(`DELETE FROM context_uses WHERE reservation_id = ?`, reservationId);
    const added = addedTokens(req.usage, req.outcome, counted);
    if (req.responseId) {
      this.sql.run(
        `INSERT INTO contexts (id, kind, tokens, created_at, updated_at) VALUES (?, 'response', ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET tokens = MAX(tokens, excluded.tokens), updated_at = excluded.updated_at`,
        req.responseId,
        counted + added,
        now,
        now,
      );
    }
    if (req.conversationId) {
      // Additive, not a max: two concurrent calls on one conversation each add their own items.
      this.sql.run(
        `INSERT INTO contexts (id, kind, tokens, created_at, updated_at) VALUES (?, 'conversation', ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET tokens = tokens + excluded.tokens, updated_at = excluded.updated_at`,
        req.conversationId,
        added,
        now,
        now,
      );
    }
  }

  /** Deletes rows past retention, then the oldest beyond the cap; returns how many went. */
  prune(now: number, maxRows = CONTEXT_ROWS_MAX): number {
    let gone = this.sql.run(`DELETE FROM contexts WHERE updated_at < ?`, now - CONTEXT_RETENTION_MS);
    gone += this.sql.run(
      `DELETE FROM contexts WHERE id IN (SELECT id FROM contexts ORDER BY updated_at DESC, id LIMIT -1 OFFSET ?)`,
      maxRows,
    );
    this.sql.run(`DELETE FROM context_uses WHERE at < ?`, now - USE_RETENTION_MS);
    return gone;
  }
}
