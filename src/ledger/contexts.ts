/**
 * Stored context (DESIGN "Cost ceilings": "Stateful context counts"). A
 * Responses call with `previous_response_id` or `conversation` is billed, as
 * input, for the whole context the provider stored: the guard keeps the token
 * total of every response it settled, and of every conversation it added to,
 * and adds it to the next call's input bound. A context it has not recorded
 * (made elsewhere, expired here, or a stored `prompt`, whose size the guard
 * never sees) is unknown: the call is refused unless `maxRequestUsd` covers it.
 *
 * The SQL of the `contexts` and `context_uses` tables lives here and nowhere else.
 */
import type { Usage } from "../pricing/cost";
import type { Sql } from "./storage/sql";
import type { ContextRef, SettleRequest } from "./types";

/** OpenAI keeps stored responses for 30 days; a row older than that names nothing the provider still has. */
export const CONTEXT_RETENTION_MS = 30 * 24 * 3600_000;
/** Rows kept per tenant at most (the oldest go first): storage stays bounded whatever the traffic. */
export const CONTEXT_ROWS_MAX = 100_000;
/** A use row outlives any reservation (background jobs included) by a wide margin before it is pruned. */
const USE_RETENTION_MS = 2 * 24 * 3600_000;

/** What {@link contextTokens} found: the tokens to add to the input bound, or the first context it does not know. */
export type ContextLookup = { tokens: number } | { unknown: ContextRef };

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

/**
 * The stored context a call reuses, in tokens, or the first reference the
 * guard cannot bound. Stored prompts are never visible to the guard: always unknown.
 */
export function contextTokens(store: ContextStore, refs: readonly ContextRef[] | undefined): ContextLookup {
  let tokens = 0;
  for (const ref of refs ?? []) {
    const t = ref.kind === "prompt" ? null : store.tokens(ref.kind === "previous_response" ? "response" : "conversation", ref.id);
    if (t === null) return { unknown: ref };
    tokens += t;
  }
  return { tokens };
}

/** The message of the 400 for an unknown context (rendered in the route's dialect). */
export function unknownContextMessage(ref: ContextRef): string {
  const what =
    ref.kind === "prompt"
      ? `the stored prompt "${ref.id}" (the guard cannot see its size)`
      : ref.kind === "previous_response"
        ? `previous_response_id "${ref.id}" (not a response this guard forwarded in the last 30 days)`
        : `conversation "${ref.id}" (no response through this guard added to it in the last 30 days)`;
  return `The guard cannot bound the stored context of ${what}. Send the context as input instead, or set maxRequestUsd on the tenant, user or feature to allow such calls (reserved in full).`;
}

/**
 * Tokens a call adds to what the provider stores, beyond the `counted` context
 * it reused. A provider-reported input already includes that context (OpenAI
 * bills it as input again), so only the excess is new; a guard-counted usage
 * (estimated, partial, ceiling) never saw it, so all of its input is new.
 */
export function addedTokens(usage: Usage, outcome: SettleRequest["outcome"], counted: number): number {
  const input =
    usage.inputTokens + usage.cachedInputTokens + usage.cacheWriteTokens + (usage.cacheWrite1hTokens ?? 0) + (usage.audioInputTokens ?? 0);
  const fresh = outcome === "ok" ? Math.max(0, input - counted) : input;
  return fresh + usage.outputTokens;
}
