/**
 * The application layer's RPC contract with the TenantLedger (DESIGN
 * "Application layer"): reservations an application makes, commits and
 * releases itself, and spend recorded after the fact. Money in integer
 * micro-USD, instants in epoch ms, like the rest of the ledger's contract.
 */
import type { BudgetPosition, ReserveResult, WarningOut } from "./types";

/** What a reservation of a model call is priced from. */
export interface AppEstimate {
  model: string;
  inputTokens: number;
  maxOutputTokens: number;
}

/** Token counts a commit or a usage record is priced from, at the tenant's prices. */
export interface AppUsage {
  model: string;
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens?: number;
  cacheWriteTokens?: number;
}

/** Who is asking, as the proxy's requests say it. */
export interface AppCaller {
  keyHash: string;
  /** `X-Budget-User`. */
  userId: string | null;
  /** The body's `user` (service keys only, as the body's user of a proxied call). */
  bodyUserId: string | null;
  /** `X-Budget-Feature`, else the body's `feature`. */
  feature: string | null;
}

/** `POST /v1/reservations`: exactly one of `amount` and `estimate`. */
export interface AppReserveRequest extends AppCaller {
  id: string;
  /** Micro-USD to hold. */
  amount?: number;
  estimate?: AppEstimate;
  ttlMs: number;
  source: string;
  description: string | null;
  metadata: Record<string, string> | null;
}

/** A refusal of the application layer (its 404 and 409 besides the reserve path's). */
export interface AppDenied {
  status: "denied";
  httpStatus: 400 | 401 | 403 | 404 | 409 | 422 | 429 | 503;
  code: string;
  message: string;
  /** The request field the refusal is about, for the OpenAI error's `param`. */
  param?: string;
}

/** A reservation as the API shows it. */
export interface AppReservation {
  id: string;
  amount: number;
  expiresAt: number;
  userId: string;
  feature: string;
  source: string;
  /** The model to call: the estimate's, or the cheaper one the tenant degrades it to; null for an amount. */
  model: string | null;
  degradedFrom?: string;
  /** The output cap the hold covers (lower than asked when clamped to fit). */
  maxOutputTokens?: number;
  clamped: boolean;
  warnings: WarningOut[];
  tightest: BudgetPosition | null;
  shadowCode?: string;
  description: string | null;
  metadata: Record<string, string> | null;
}

/** The answer to a reservation request. */
export type AppReserveResult =
  | ({ status: "allowed" } & AppReservation)
  | Extract<ReserveResult, { status: "blocked" }>
  | AppDenied;

/** `POST /v1/reservations/{id}/commit`: exactly one of `cost` and `usage`. */
export interface AppCommitRequest {
  keyHash: string;
  id: string;
  /** Micro-USD, charged as is. */
  cost?: number;
  usage?: AppUsage;
}

/** A commit's answer; a repeated commit returns the first one. */
export interface AppCommitAnswer {
  id: string;
  /** Micro-USD charged. */
  cost: number;
  /** Micro-USD that was held. */
  amount: number;
  /** The cost is above the hold: it is recorded in full, and may take a scope past its limit. */
  overReserved: boolean;
  /** Committed after the hold expired (its hold was already given back; the spend still counts, once). */
  afterExpiry: boolean;
  committedAt: number;
  userId: string;
  feature: string;
  /** What the usage report's model column shows for it: `source`, or `source/model`. */
  reportedAs: string;
}

/** The answer to a commit. */
export type AppCommitResult = { status: "committed"; replayed: boolean; answer: AppCommitAnswer } | AppDenied;

/** The answer to a release. */
export type AppReleaseResult = { status: "released"; id: string; state: "released" | "expired"; amount: number } | AppDenied;

/** `POST /v1/usage`: spend made elsewhere, exactly one of `cost` and `usage`. */
export interface AppUsageRequest extends AppCaller {
  /** Derived from the tenant, the key and the Idempotency-Key: a retry finds the same record. */
  id: string;
  /** SHA-256 of (key, user, feature, body): the same Idempotency-Key with another one is a 422. */
  fingerprint: string;
  cost?: number;
  usage?: AppUsage;
  source: string;
  description: string | null;
}

/** A recorded usage as the API shows it. */
export interface AppUsageAnswer {
  id: string;
  cost: number;
  userId: string;
  feature: string;
  source: string;
  model: string | null;
  reportedAs: string;
  recordedAt: number;
  /** The record took a scope to or past its hard limit: the next call there is blocked. */
  overLimit: boolean;
  warnings: WarningOut[];
  tightest: BudgetPosition | null;
}

/** The answer to a usage record; `replayed` when the Idempotency-Key was seen before (nothing new recorded). */
export type AppUsageResult = { status: "recorded"; replayed: boolean; answer: AppUsageAnswer } | AppDenied;
