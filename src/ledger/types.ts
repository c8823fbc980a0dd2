/**
 * The TenantLedger's RPC contract: plain serialisable objects, money in
 * integer micro-USD, instants in epoch ms.
 */
import type { Role } from "../auth/keys";
import type { ScopeKind } from "../budget/types";
import type { WindowKind } from "../budget/windows";
import type { Rates, Usage } from "../pricing/cost";
import type { FlushRequest } from "./allowances-types";

/** What the worker sends to reserve budget for one call. */
export interface ReserveRequest {
  requestId: string;
  /** SHA-256 of the caller's guard key; the object verifies it. */
  keyHash: string;
  /** User named by the `X-Budget-User` header. */
  userId: string | null;
  /** User named in the body (OpenAI `user`, Anthropic `metadata.user_id`); only service keys use it. */
  bodyUserId: string | null;
  /** Feature named by `X-Budget-Feature`. */
  feature: string | null;
  /** Model as priced (without an explicit `openai/` or `anthropic/` prefix). */
  model: string;
  kind: "chat" | "embedding";
  /** Upper bound on input tokens. */
  inputTokens: number;
  /** False when `inputTokens` is the fast bound; the object asks for an exact count where it matters. */
  inputExact: boolean;
  /** The client's output cap, if any. */
  requestedMaxTokens: number | null;
  /** The request id derives from the client's Idempotency-Key: a second reserve with it is a retry. */
  idempotent: boolean;
  /** Whether a block may be answered with the one free final message (chat routes). */
  finalMessageEligible: boolean;
  streaming: boolean;
  // ---- cost ceilings (DESIGN "Cost ceilings"); absent means the neutral default ----
  /** Choices the call asks for (chat `n`); output is reserved, and capped when forwarded, for all of them. Default 1. */
  choices?: number;
  /** Audio input tokens, bounded from the audio's own bytes, priced at the model's audio rate (unpriced → 400). */
  audioInputTokens?: number;
  /** Input parts the guard cannot bound ("messages[0].content[1]: file_id …"): reserved at maxRequestUsd in full, else a 400 naming the first. */
  unbounded?: string[];
  /** Stored context the call reuses; the ledger adds the tokens it recorded for each (unknown → like `unbounded`). */
  context?: ContextRef[];
  /** Upper bound on billed built-in tool calls, by tool (e.g. `{ web_search: 5 }`); an unpriced tool → 400. */
  toolCalls?: Record<string, number>;
  /** Service tier asked for (`priority`, `flex`, `auto`, `default`…); priced with its multiplier. */
  serviceTier?: string | null;
  /** The longest prompt-cache write TTL the request asks for: input is bounded at that write rate. */
  cacheTtl?: "5m" | "1h" | null;
  /** Responses `background: true`: the reservation stays open until the object has polled the job to its end. */
  background?: boolean;
  /** SHA-256 of (key hash, user, feature, route, body): an Idempotency-Key reused with another one is a 422. */
  fingerprint?: string | null;
  /**
   * The subject's allowance batch, when it holds one but this request must reserve (DESIGN "Edge
   * allowances"): applied and the hold shrunk to what is in flight, in the reserve's transaction, first,
   * so the subject's own hold never blocks its own request.
   */
  allowanceFlush?: FlushRequest;
  // ---- the application layer (src/ledger/app-*.ts) ----
  /** Reserve exactly this many micro-USD, priced from nothing else (no model price, no output): an application's hold. */
  fixedCost?: number;
  /** How long the hold lasts (an application's `ttlSeconds`); default by `streaming` and `background`. */
  ttlMs?: number;
  /** Spend that already happened (recorded usage): decided as shadow mode does, so it is reserved, warned and alerted, never blocked. */
  force?: boolean;
}

/** A piece of provider-side stored state a request reuses. */
export interface ContextRef {
  kind: "previous_response" | "conversation" | "prompt";
  id: string;
}

/** A soft-limit crossing. */
export interface WarningOut {
  scope: ScopeKind;
  scopeId: string;
  window: WindowKind;
  pct: number;
}

/** The tightest scope for the budget headers. */
export interface BudgetPosition {
  scope: ScopeKind;
  scopeId: string;
  window: WindowKind;
  limit: number;
  remaining: number;
  resetAt: number;
}

/** The object's answer to `reserve`. */
export type ReserveResult =
  | {
      status: "allowed";
      reservationId: string;
      userId: string;
      feature: string;
      /** The model to call (the cheaper one when degraded). */
      model: string;
      degradedFrom?: string;
      amount: number;
      forwardMaxTokens?: number;
      clamped: boolean;
      warnings: WarningOut[];
      tightest: BudgetPosition | null;
      shadowCode?: string;
      /** Client headers the tenant's `forwardHeaders` allow to reach the provider (lower case). */
      forwardHeaders?: string[];
      /** The burst pool(s) the call drew on for what did not fit its own budget (`X-Budget-Burst`). */
      burstId?: string;
    }
  | {
      status: "blocked";
      code: string;
      message: string;
      blockStatus: 429 | 402;
      /** True when this block is answered with the one free explanatory message. */
      finalMessage: boolean;
      position: BudgetPosition;
    }
  | { status: "recount" }
  | { status: "duplicate"; state: string; replay: Replay | null }
  | { status: "denied"; httpStatus: 400 | 401 | 403 | 422 | 429 | 503; code: string; message: string };

/** A completed answer kept for Idempotency-Key retries. */
export interface Replay {
  status: number;
  contentType: string;
  body: string;
}

/** How a call ended, for settlement. */
export interface SettleRequest {
  reservationId: string;
  usage: Usage;
  /**
   * `ok`, `estimated` (settled on tokens the guard counted exactly: visible text of a model without hidden
   * tokens), `partial` (stream cut, counted exactly), `ceiling` (cost unknown: charged the whole reservation,
   * or the usage's cost if that is higher).
   */
  outcome: "ok" | "estimated" | "partial" | "ceiling";
  /** The provider's id of the response (Responses `resp_…`), whose token total the ledger remembers for reuse. */
  responseId?: string;
  /** The conversation the response was added to (Responses `conversation`), whose total grows by this call. */
  conversationId?: string;
  /** For idempotent non-streaming calls: the answer, replayed to a retry instead of calling again. */
  replay?: Replay;
  // ---- the application layer (src/ledger/app-*.ts) ----
  /** A cost the application reports, micro-USD: charged as is instead of pricing `usage`. */
  cost?: number;
  /** Price `usage` at these rates instead of the reservation's (usage of another model than it was reserved for). */
  rates?: Rates;
  /** What the usage rollups report the spend under instead of the reservation's model (`source/model`). */
  reportAs?: string;
}

/** Settlement result; `applied` is false for a duplicate. */
export interface SettleResult {
  applied: boolean;
  cost: number;
  state: string;
}

/** A guard key as listed (never the secret nor its hash). */
export interface KeyInfo {
  id: string;
  name: string;
  role: Role;
  userId: string | null;
  feature: string | null;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
}

/** Who a credential is, as the object verified it. */
export interface Principal {
  keyId: string;
  role: Role;
  userId: string | null;
  feature: string | null;
}

/** One scope and window in a budget report (`GET /v1/budget`). */
export interface BudgetLine {
  scope: ScopeKind;
  scopeId: string;
  window: WindowKind;
  windowKey: string;
  limit: number | null;
  spent: number;
  reserved: number;
  remaining: number | null;
  resetAt: number;
}

/** An alert in the outbox, as listed. */
export interface AlertInfo {
  id: string;
  scope: string;
  win: string;
  kind: string;
  threshold: number;
  state: string;
  attempts: number;
  createdAt: string;
  deliveredAt: string | null;
  lastError: string | null;
  /** JSON of the alert's details. */
  payload: string;
  /** One entry per destination (the tenant's webhook, the operator's). */
  deliveries: {
    dest: string;
    state: string;
    attempts: number;
    lastError: string | null;
    deliveredAt: string | null;
    nextAttemptAt: string | null;
  }[];
}

/** One audit log entry; `before` and `after` are JSON. */
export interface AuditEntry {
  id: number;
  at: string;
  /** `operator` or `key:<id>` of the tenant admin key. */
  actor: string;
  action: string;
  target: string;
  before: string | null;
  after: string | null;
}
