/**
 * Request and response schemas of the application layer, validated once at
 * the edge and named for the `/v1` OpenAPI document (and the client types
 * generated from it). Amounts are USD; instants ISO 8601.
 */
import { z } from "@hono/zod-openapi";
import { SUBJECT_ID } from "../budget/tenant-config";

/** The most one amount may be: far above any real call, far below integer micro-USD overflow. */
const MAX_USD = 1_000_000;
const MAX_TOKENS = 1_000_000_000;

const subject = (what: string) =>
  z.string().regex(SUBJECT_ID, "ids are 1-128 characters of letters, digits and . _ - @").describe(what);

const tokens = z.number().int().min(0).max(MAX_TOKENS);

/** Where spend comes from; `/` separates it from the model in the usage report's model column. */
const source = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,64}$/, "1-64 characters of letters, digits and . _ -")
  .describe("Where the spend comes from, e.g. `app`, `openai-batch`, `serpapi`; reports show it as `source/model` in the model column");

const description = z.string().max(500).describe("Free text kept with the spend");

/** Token counts, priced at the tenant's price for `model`. */
export const usageSchema = z
  .object({
    model: z.string().min(1).max(200).describe("A model the guard can price (GET /v1/models, or the tenant's own prices)"),
    inputTokens: tokens.describe("Input tokens billed at the full input price"),
    outputTokens: tokens,
    cachedInputTokens: tokens.optional().describe("Input tokens read from the prompt cache"),
    cacheWriteTokens: tokens.optional().describe("Input tokens written to the prompt cache"),
  })
  .openapi("AppUsage");

/** A model call to reserve for, priced like a proxied call of that size. */
export const estimateSchema = z
  .object({
    model: z.string().min(1).max(200),
    inputTokens: tokens.describe("An upper bound on the call's input tokens"),
    maxOutputTokens: z.number().int().min(1).max(MAX_TOKENS).describe("The output cap the call is made with"),
  })
  .openapi("ReservationEstimate");

const positiveUsd = z.number().positive().max(MAX_USD);
const costUsd = z.number().min(0).max(MAX_USD);

const oneOf =
  (a: string, b: string) =>
  (v: Record<string, unknown>, ctx: z.RefinementCtx): void => {
    const n = Number(v[a] !== undefined) + Number(v[b] !== undefined);
    if (n !== 1) ctx.addIssue({ code: "custom", path: [a], message: n === 0 ? `send ${a} or ${b}` : `send ${a} or ${b}, not both` });
  };

/** `POST /v1/reservations`. */
export const reservationRequest = z
  .object({
    amountUsd: positiveUsd.optional().describe("The amount to hold, in USD"),
    estimate: estimateSchema.optional(),
    ttlSeconds: z.number().int().min(1).max(3600).default(300).describe("How long the hold lasts uncommitted; then it is released"),
    user: subject("The user to charge (service keys; X-Budget-User wins)").optional(),
    feature: subject("The feature to charge (X-Budget-Feature wins)").optional(),
    source: source.default("app"),
    description: description.optional(),
    metadata: z
      .record(z.string().max(64), z.string().max(512))
      .refine((m) => Object.keys(m).length <= 16, "at most 16 keys")
      .optional()
      .describe("Up to 16 string pairs, returned with the reservation"),
  })
  .superRefine(oneOf("amountUsd", "estimate"))
  .openapi("ReservationRequest");

/** Where the caller stands in the tightest scope after this request. */
export const budgetPosition = z
  .object({
    scope: z.string().describe("The tightest scope and window, e.g. `user:daily`"),
    limitUsd: z.number(),
    remainingUsd: z.number(),
    resetsAt: z.string().describe("ISO 8601"),
  })
  .openapi("BudgetPosition");

/** A reservation as created. */
export const reservation = z
  .object({
    object: z.literal("reservation"),
    id: z.string(),
    amountUsd: z.number().describe("Held in every scope the caller falls under"),
    expiresAt: z.string().describe("ISO 8601; an uncommitted hold is released then"),
    user: z.string(),
    feature: z.string(),
    source: z.string(),
    model: z.string().nullable().describe("The model to call: the estimate's, or the cheaper one the tenant degrades it to"),
    degradedFrom: z.string().optional(),
    maxOutputTokens: z.number().optional().describe("The output cap the hold covers: call with at most this"),
    clamped: z.boolean().describe("maxOutputTokens is lower than asked, to fit the budget"),
    warnings: z.array(z.string()).describe("Scopes past their soft limit, e.g. `user:daily 85% used`"),
    budget: budgetPosition.nullable(),
    shadow: z.string().optional().describe("Shadow mode: the code enforcement would have blocked with"),
    description: z.string().nullable(),
    metadata: z.record(z.string(), z.string()).nullable(),
  })
  .openapi("Reservation");

/** `POST /v1/reservations/{id}/commit`. */
export const commitRequest = z
  .object({
    costUsd: costUsd.optional().describe("What the call cost, in USD"),
    usage: usageSchema.optional(),
  })
  .superRefine(oneOf("costUsd", "usage"))
  .openapi("ReservationCommitRequest");

/** A commit's answer (a repeated commit returns the first). */
export const commit = z
  .object({
    object: z.literal("reservation.commit"),
    id: z.string(),
    state: z.literal("committed"),
    costUsd: z.number(),
    reservedUsd: z.number(),
    overReserved: z.boolean().describe("The cost is above the hold: it is recorded in full"),
    afterExpiry: z.boolean().describe("Committed after the hold expired; the spend still counts, once"),
    committedAt: z.string(),
    user: z.string(),
    feature: z.string(),
    reportedAs: z.string().describe("The usage report's model column for this spend"),
  })
  .openapi("ReservationCommit");

/** A release's answer. */
export const release = z
  .object({
    object: z.literal("reservation"),
    id: z.string(),
    state: z.enum(["released", "expired"]),
    amountUsd: z.number().describe("What was held"),
  })
  .openapi("ReservationRelease");

/** `POST /v1/usage`. */
export const usageRequest = z
  .object({
    costUsd: costUsd.optional().describe("What the spend cost, in USD"),
    usage: usageSchema.optional(),
    source,
    user: subject("The user to charge (service keys; X-Budget-User wins)").optional(),
    feature: subject("The feature to charge (X-Budget-Feature wins)").optional(),
    description: description.optional(),
  })
  .superRefine(oneOf("costUsd", "usage"))
  .openapi("UsageRecordRequest");

/** A recorded spend. */
export const usageRecord = z
  .object({
    object: z.literal("usage"),
    id: z.string(),
    costUsd: z.number(),
    user: z.string(),
    feature: z.string(),
    source: z.string(),
    model: z.string().nullable(),
    reportedAs: z.string().describe("The usage report's model column for this spend"),
    recordedAt: z.string(),
    overLimit: z.boolean().describe("A scope is at or past its hard limit now: its next call is blocked"),
    warnings: z.array(z.string()),
    budget: budgetPosition.nullable(),
  })
  .openapi("UsageRecord");

/** Attribution headers, as every `/v1` route reads them (lower case: HTTP header names are case-insensitive). */
export const attribution = z.object({
  "x-budget-user": subject("The user to charge (service keys must name one, here or in the body)").optional(),
  "x-budget-feature": subject("The feature to charge").optional(),
});

/** `POST /v1/usage` headers: attribution and the required Idempotency-Key. */
export const usageHeaders = attribution.extend({
  "idempotency-key": z
    .string()
    .regex(/^[\x21-\x7e]{1,255}$/, "1-255 printable ASCII characters")
    .describe("Names the record: a retry with the same key and body records nothing new and gets the first answer"),
});

/** `{id}` of a reservation. */
export const reservationParams = z.object({
  id: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, "a reservation id")
    .openapi({ param: { name: "id", in: "path" } }),
});
