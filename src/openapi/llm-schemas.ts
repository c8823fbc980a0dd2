/**
 * Schemas of the LLM routes for the `/v1` OpenAPI document. Request bodies are
 * the very schemas the guard validates with (src/proxy/routes); responses are
 * the providers' answers passed through, so only their main fields are named
 * and the rest is open. Error bodies follow the route's dialect.
 */
import { z } from "@hono/zod-openapi";
import { chatRoute } from "../proxy/routes/chat";
import { embeddingsRoute } from "../proxy/routes/embeddings";
import { messagesRoute } from "../proxy/routes/messages";
import { responsesRoute } from "../proxy/routes/responses";
import { SUBJECT_ID } from "../budget/tenant-config";

/** `POST /v1/chat/completions` body: what the guard reads; every other OpenAI field is forwarded. */
export const chatRequest = chatRoute.schema.openapi("ChatCompletionRequest");
/** `POST /v1/responses` body. */
export const responsesRequest = responsesRoute.schema.openapi("ResponseRequest");
/** `POST /v1/embeddings` body. */
export const embeddingsRequest = embeddingsRoute.schema.openapi("EmbeddingRequest");
/** `POST /v1/messages` body (Anthropic). */
export const messagesRequest = messagesRoute.schema.openapi("MessageRequest");

const openAIUsage = z.looseObject({ prompt_tokens: z.number(), completion_tokens: z.number().optional(), total_tokens: z.number() });

/** A chat completion as the provider returned it. */
export const chatResponse = z
  .looseObject({
    id: z.string(),
    object: z.literal("chat.completion"),
    created: z.number(),
    model: z.string(),
    choices: z.array(
      z.looseObject({
        index: z.number(),
        message: z.looseObject({ role: z.string(), content: z.string().nullable() }),
        finish_reason: z.string().nullable(),
      }),
    ),
    usage: openAIUsage.optional(),
  })
  .openapi("ChatCompletion");

/** A Responses API response as the provider returned it. */
export const responsesResponse = z
  .looseObject({
    id: z.string(),
    object: z.literal("response"),
    status: z.string(),
    model: z.string(),
    output: z.array(z.looseObject({ type: z.string() })),
    usage: z.looseObject({ input_tokens: z.number(), output_tokens: z.number(), total_tokens: z.number() }).nullish(),
  })
  .openapi("Response");

/** An embeddings list as the provider returned it. */
export const embeddingsResponse = z
  .looseObject({
    object: z.literal("list"),
    data: z.array(
      z.looseObject({ object: z.literal("embedding"), index: z.number(), embedding: z.union([z.array(z.number()), z.string()]) }),
    ),
    model: z.string(),
    usage: openAIUsage,
  })
  .openapi("EmbeddingList");

/** An Anthropic message as the provider returned it. */
export const messagesResponse = z
  .looseObject({
    id: z.string(),
    type: z.literal("message"),
    role: z.literal("assistant"),
    content: z.array(z.looseObject({ type: z.string() })),
    model: z.string(),
    stop_reason: z.string().nullable(),
    usage: z.looseObject({ input_tokens: z.number(), output_tokens: z.number() }),
  })
  .openapi("Message");

/** `GET /v1/models`: the models the guard can route and price. */
export const modelList = z
  .object({
    object: z.literal("list"),
    data: z.array(z.object({ id: z.string(), object: z.literal("model"), created: z.number(), owned_by: z.string() }).openapi("Model")),
  })
  .openapi("ModelList");

/** `GET /v1/budget`: each scope the caller falls under. */
export const budget = z
  .object({
    object: z.literal("budget"),
    scopes: z.array(
      z
        .object({
          scope: z.string().describe("tenant, user, feature or user_feature"),
          id: z.string(),
          window: z.enum(["daily", "monthly"]),
          period: z.string().describe("YYYY-MM-DD or YYYY-MM in the tenant's time zone"),
          limitUsd: z.number().nullable(),
          spentUsd: z.number(),
          reservedUsd: z.number(),
          remainingUsd: z.number().nullable(),
          utilization: z.number().nullable().describe("(spent + reserved) / limit"),
          resetsAt: z.string().describe("ISO 8601"),
        })
        .openapi("BudgetScope"),
    ),
  })
  .openapi("Budget");

/** The OpenAI dialect's error body (chat, responses, embeddings, models, budget). */
export const openAIError = z
  .object({
    error: z.object({
      message: z.string(),
      type: z.string().describe("e.g. budget_exceeded, invalid_request_error, authentication_error"),
      code: z.string().describe("e.g. user_daily_budget_exceeded, validation_failed, invalid_api_key"),
      param: z.string().nullable(),
    }),
  })
  .openapi("OpenAIError");

/** The Anthropic dialect's error body (`/v1/messages`). */
export const anthropicError = z
  .object({
    type: z.literal("error"),
    error: z.object({ type: z.string().describe("e.g. rate_limit_error (budget blocks too), invalid_request_error"), message: z.string() }),
  })
  .openapi("AnthropicError");

const subject = z.string().regex(SUBJECT_ID);

/** Attribution headers the LLM routes read. */
export const attributionHeaders = z.object({
  "X-Budget-User": subject.optional().describe("The end user to charge (a service key must name one)"),
  "X-Budget-Feature": subject.optional().describe("The product feature to charge"),
});

/** Attribution plus `Idempotency-Key`. */
export const llmHeaders = attributionHeaders.extend({
  "Idempotency-Key": z
    .string()
    .regex(/^[\x21-\x7e]{1,255}$/)
    .optional()
    .describe("Names the call: a retry with the same key, body and subject is answered from the first and charged once"),
});
