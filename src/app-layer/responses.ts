/**
 * The OpenAPI responses the application-layer routes declare: their errors
 * in the `/v1` dialect's error shape, and the budget headers, referring to
 * the `/v1` document's shared header components (src/openapi/llm-headers.ts).
 */
import { openAIError } from "../openapi/llm-schemas";

const ERRORS = {
  400: "Invalid input (the message names every failing field, `param` the first), or a model the guard cannot price; nothing was held or recorded",
  401: "Missing or invalid guard key",
  402: "Budget exceeded (the default block status; the message says which limit and when it resets)",
  403: "The key may not act here: an admin key, another key's reservation, another user, or an undeclared feature under requireDeclaredFeatures",
  404: "No such reservation for this tenant",
  409: "The reservation was released (it cannot be committed) or committed (it cannot be released); or a record with this Idempotency-Key is in progress",
  415: "The body is not `application/json`",
  422: "This Idempotency-Key was used with another body or subject",
  429: "Budget exceeded when the tenant's blockStatus is 429, a frozen tenant, or too many failed authentications",
  503: "The budget ledger could not be reached; nothing was held or recorded",
} as const;

/** An error status an application-layer route can answer. */
export type ErrorStatus = keyof typeof ERRORS;

const ref = (name: string) => ({ $ref: `#/components/headers/${name}` });
const POSITION = ["X-Budget-Limit-Usd", "X-Budget-Remaining-Usd", "X-Budget-Scope", "X-Budget-Reset", "RateLimit", "RateLimit-Policy"];

/** Headers of an allowed reservation. */
export const reservedHeaders = Object.fromEntries(
  [...POSITION, "X-Budget-Warning", "X-Budget-Degraded-From", "X-Budget-Clamped-Max-Tokens", "X-Budget-Shadow"].map((n) => [n, ref(n)]),
);

/** Headers of a budget block. */
const blockHeaders = Object.fromEntries([...POSITION, "Retry-After", "x-should-retry"].map((n) => [n, ref(n)]));

/** The error responses of `statuses`. */
export function errors(statuses: readonly ErrorStatus[]) {
  return Object.fromEntries(
    statuses.map((s) => [
      s,
      {
        description: ERRORS[s],
        ...(s === 429 || s === 402 ? { headers: blockHeaders } : {}),
        content: { "application/json": { schema: openAIError } },
      },
    ]),
  );
}
