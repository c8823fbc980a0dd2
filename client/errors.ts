/** The client's errors: every failure the guard answers, and budget blocks in particular. */

/** The guard's error body (the OpenAI dialect of `/v1`). */
export interface GuardErrorBody {
  error?: { message?: string; type?: string; code?: string; param?: string | null };
}

/** A request the guard refused or could not serve (any non-2xx answer), or one that never got an answer (`status` 0). */
export class BudgetGuardError extends Error {
  /** HTTP status; 0 when the guard could not be reached. */
  readonly status: number;
  /** Machine-readable code, e.g. `invalid_value`, `reservation_not_found`, `ledger_unavailable`. */
  readonly code: string;
  /** The OpenAI error type, e.g. `invalid_request_error`, `budget_exceeded`. */
  readonly type: string;
  /** The request field the error is about, if any. */
  readonly param: string | null;
  /** The guard's `x-request-id`, to find the request in its logs. */
  readonly requestId: string | null;

  constructor(status: number, body: GuardErrorBody | null, headers: Headers | null, fallback = "The budget guard refused the request.") {
    super(body?.error?.message ?? fallback);
    this.name = "BudgetGuardError";
    this.status = status;
    this.code = body?.error?.code ?? (status === 0 ? "network_error" : "unknown_error");
    this.type = body?.error?.type ?? "api_error";
    this.param = body?.error?.param ?? null;
    this.requestId = headers?.get("x-request-id") ?? null;
  }

  /** Worth retrying as is: the guard was unreachable, or it could not reach its ledger (nothing was recorded). */
  get retryable(): boolean {
    return this.status === 0 || this.status === 502 || this.status === 503 || this.status === 504;
  }
}

/** A budget block (402, or 429 where the tenant chose it): nothing was held and nothing may be spent. */
export class BudgetExceededError extends BudgetGuardError {
  /** The scope and window that blocked, e.g. `user:daily`. */
  readonly scope: string;
  /** Its limit, USD. */
  readonly limit: number;
  /** What is left of it, USD (usually 0, or less than was asked for). */
  readonly remaining: number;
  /** When the window resets. */
  readonly resetAt: Date;
  /** Seconds until then (`Retry-After`). */
  readonly retryAfter: number;

  constructor(status: number, body: GuardErrorBody | null, headers: Headers) {
    super(status, body, headers, "Budget exceeded.");
    this.name = "BudgetExceededError";
    this.scope = headers.get("x-budget-scope") ?? "unknown";
    this.limit = Number(headers.get("x-budget-limit-usd") ?? NaN);
    this.remaining = Number(headers.get("x-budget-remaining-usd") ?? NaN);
    this.resetAt = new Date(headers.get("x-budget-reset") ?? NaN);
    this.retryAfter = Number(headers.get("retry-after") ?? NaN);
  }
}

/** The error for a non-2xx answer: a budget block is a {@link BudgetExceededError}. */
export function errorOf(status: number, body: GuardErrorBody | null, headers: Headers): BudgetGuardError {
  return (status === 429 || status === 402) && body?.error?.type === "budget_exceeded"
    ? new BudgetExceededError(status, body, headers)
    : new BudgetGuardError(status, body, headers);
}
