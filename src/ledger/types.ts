/**
 * The TenantLedger's RPC contract: plain serialisable objects, money in
 * integer micro-USD, instants in epoch ms.
 */
import type { Role } from "../auth/keys";
import type { ScopeKind } from "../budget/types";
import type { WindowKind } from "../budget/windows";
import type { Usage } from "../pricing/cost";

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
  | { status: "denied"; httpStatus: 400 | 401 | 403 | 429 | 503; code: string; message: string };

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
  /** `ok`, `estimated` (usage missing: settled on counted tokens), `partial` (stream cut). */
  outcome: "ok" | "estimated" | "partial";
  /** For idempotent non-streaming calls: the answer, replayed to a retry instead of calling again. */
  replay?: Replay;
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
