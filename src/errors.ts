/**
 * One error type for every client-facing failure. Routes throw it; the app's
 * single `onError` renders it in the dialect of the route (OpenAI, Anthropic,
 * Gemini or the admin API), so no handler formats its own errors.
 */
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";

/** The error shapes the guard speaks. */
export type Dialect = "openai" | "anthropic" | "gemini" | "admin";

/** Options for {@link ApiError}. */
export interface ApiErrorOptions {
  /** Machine-readable code, e.g. `user_daily_budget_exceeded`. */
  code: string;
  /** OpenAI `type` (e.g. `invalid_request_error`); Anthropic's type is derived from the status. */
  type?: string;
  param?: string | null;
  headers?: Record<string, string>;
  /** Validation details for the admin API (failing fields). */
  details?: unknown;
}

/** A failure with a status, a message safe to show, and a code. */
export class ApiError extends HTTPException {
  readonly code: string;
  readonly type: string;
  readonly param: string | null;
  readonly headers: Record<string, string>;
  readonly details: unknown;

  constructor(status: ContentfulStatusCode, message: string, opts: ApiErrorOptions) {
    super(status, { message });
    this.code = opts.code;
    this.type = opts.type ?? defaultType(status);
    this.param = opts.param ?? null;
    this.headers = opts.headers ?? {};
    this.details = opts.details;
  }
}

function defaultType(status: number): string {
  if (status === 401) return "authentication_error";
  if (status === 403) return "permission_error";
  if (status === 404) return "not_found_error";
  if (status === 429 || status === 402) return "budget_exceeded";
  if (status >= 500) return "api_error";
  return "invalid_request_error";
}

/** Anthropic's error `type` for a status (its SDKs switch on it). */
function anthropicType(status: number): string {
  if (status === 400 || status === 413 || status === 415) return status === 413 ? "request_too_large" : "invalid_request_error";
  if (status === 401) return "authentication_error";
  if (status === 403) return "permission_error";
  if (status === 404) return "not_found_error";
  // A budget block: 402 is Anthropic's own billing_error; a tenant that chose 429 gets rate_limit_error
  // (x-should-retry: false stops the SDKs' retry).
  if (status === 402) return "billing_error";
  if (status === 429) return "rate_limit_error";
  if (status === 503) return "overloaded_error";
  return "api_error";
}

/** Google's canonical status name for an HTTP status (google.rpc.Code), as its SDKs and docs show it. */
function googleStatus(status: number): string {
  if (status === 400 || status === 413 || status === 415 || status === 422) return "INVALID_ARGUMENT";
  if (status === 401) return "UNAUTHENTICATED";
  if (status === 403) return "PERMISSION_DENIED";
  if (status === 404) return "NOT_FOUND";
  if (status === 409) return "ABORTED";
  // Budget blocks (429, or 402 where the tenant chose it): Google's quota status.
  if (status === 429 || status === 402) return "RESOURCE_EXHAUSTED";
  if (status === 503 || status === 502) return "UNAVAILABLE";
  if (status === 504) return "DEADLINE_EXCEEDED";
  return "INTERNAL";
}

/** The JSON body of an error in a dialect. */
export function errorBody(
  dialect: Dialect,
  status: number,
  err: Pick<ApiError, "message" | "code" | "type" | "param" | "details">,
): unknown {
  switch (dialect) {
    case "anthropic":
      return { type: "error", error: { type: anthropicType(status), message: err.message } };
    case "gemini":
      // Google's error shape; the guard's own code rides in an ErrorInfo detail, as Google puts its reasons.
      return {
        error: {
          code: status,
          message: err.message,
          status: googleStatus(status),
          details: [{ "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason: err.code, domain: "budget-guard" }],
        },
      };
    case "admin":
      return { error: { message: err.message, code: err.code, ...(err.details === undefined ? {} : { details: err.details }) } };
    case "openai":
      return { error: { message: err.message, type: err.type, code: err.code, param: err.param } };
  }
}

/** The dialect a path speaks. */
export function dialectOf(path: string): Dialect {
  if (path.startsWith("/admin/")) return "admin";
  if (path === "/v1/messages" || path.startsWith("/v1/messages/")) return "anthropic";
  if (path.startsWith("/v1beta/") || /^\/v1\/models\/[^/]+:/.test(path)) return "gemini";
  return "openai";
}
