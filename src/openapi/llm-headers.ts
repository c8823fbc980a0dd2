/** The guard's response headers on LLM routes, as reusable `components.headers` of the `/v1` document. */

type HeaderObject = { description: string; schema: { type: "string"; example?: string } };

const header = (description: string, example?: string): HeaderObject => ({
  description,
  schema: example === undefined ? { type: "string" } : { type: "string", example },
});

/** Every header the guard adds, by name. */
export const LLM_HEADERS = {
  "X-Budget-Limit-Usd": header("The tightest applicable limit, in USD", "5"),
  "X-Budget-Remaining-Usd": header("What is left of it, in USD", "1.25"),
  "X-Budget-Scope": header("The tightest scope and window, e.g. `user:daily`; `none` when no limit applies", "user:daily"),
  "X-Budget-Reset": header("When that window resets (ISO 8601)", "2026-11-30T00:00:00Z"),
  "X-Budget-Warning": header("Scopes past their soft limit", "user:daily 85% used"),
  "X-Budget-Degraded-From": header("The model the client asked for, when the tenant's `degrade` map sent the call to a cheaper one"),
  "X-Budget-Clamped-Max-Tokens": header("The output cap the guard forwarded, when it lowered the client's to fit the budget"),
  "X-Budget-Shadow": header("Shadow mode: the code the call would have been blocked with"),
  "X-Budget-Final-Message": header("`true` when the answer is the tenant's upgrade message instead of a block (onHardLimit: message)"),
  RateLimit: header("The same position as an IETF RateLimit field (quota units: micro-USD)"),
  "RateLimit-Policy": header("The limit as an IETF RateLimit-Policy field"),
  "Server-Timing": header(
    "`guard`, `ledger` and `upstream` durations in milliseconds",
    "guard;dur=0.041, ledger;dur=0.8, upstream;dur=120.3",
  ),
  "Retry-After": header("Seconds until the window that blocked the call resets", "3600"),
  "x-should-retry": header("`false`: the official SDKs do not retry a budget block", "false"),
} as const;

/** A header's name in {@link LLM_HEADERS}. */
export type LlmHeader = keyof typeof LLM_HEADERS;

const ref = (names: readonly LlmHeader[]) => Object.fromEntries(names.map((n) => [n, { $ref: `#/components/headers/${n}` }]));

const POSITION: readonly LlmHeader[] = ["X-Budget-Limit-Usd", "X-Budget-Remaining-Usd", "X-Budget-Scope", "X-Budget-Reset"];

/** Headers of an allowed LLM call. */
export const allowedHeaders = ref([
  ...POSITION,
  "X-Budget-Warning",
  "X-Budget-Degraded-From",
  "X-Budget-Clamped-Max-Tokens",
  "X-Budget-Shadow",
  "X-Budget-Final-Message",
  "RateLimit",
  "RateLimit-Policy",
  "Server-Timing",
]);

/** Headers of a budget block (402 by default, 429 when the tenant's blockStatus says so). */
export const blockedHeaders = ref([...POSITION, "RateLimit", "RateLimit-Policy", "Retry-After", "x-should-retry", "Server-Timing"]);
