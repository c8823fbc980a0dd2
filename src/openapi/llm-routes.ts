/**
 * The LLM routes (plain Hono handlers in src/proxy) described for the `/v1`
 * OpenAPI document. These definitions document only; validation stays in the
 * handlers, from the same request schemas.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { allowedHeaders, blockedHeaders } from "./llm-headers";
import {
  anthropicError,
  attributionHeaders,
  budget,
  chatRequest,
  chatResponse,
  embeddingsRequest,
  embeddingsResponse,
  llmHeaders,
  messagesRequest,
  messagesResponse,
  modelList,
  openAIError,
  responsesRequest,
  responsesResponse,
} from "./llm-schemas";

type ErrorSchema = typeof openAIError | typeof anthropicError;

const ERRORS = {
  400: "Invalid input (the message names the field), a price the guard does not have, or a service key naming no user; nothing was spent",
  401: "Missing or invalid guard key",
  402: "Budget exceeded (the default block status; the message says which limit and when it resets)",
  403: "The key may not use this scope (e.g. an undeclared feature under requireDeclaredFeatures)",
  409: "A call with this Idempotency-Key is still in progress, or was a stream that cannot be replayed",
  413: "The body is larger than the guard's limit",
  415: "The body is not `application/json`",
  422: "This Idempotency-Key was used with another body, subject or route",
  429: "Budget exceeded when the tenant's blockStatus is 429, a frozen tenant, or too many failed authentications",
  502: "The provider failed",
  503: "The budget ledger could not be reached (the call was not made), or the guard is misconfigured",
  504: "The provider did not answer in time",
} as const;

type ErrorStatus = keyof typeof ERRORS;

function errors(schema: ErrorSchema, statuses: readonly ErrorStatus[]) {
  return Object.fromEntries(
    statuses.map((s) => [
      s,
      {
        description: ERRORS[s],
        ...(s === 429 || s === 402 ? { headers: blockedHeaders } : {}),
        content: { "application/json": { schema } },
      },
    ]),
  );
}

const CALL_ERRORS: readonly ErrorStatus[] = [400, 401, 402, 403, 409, 413, 415, 422, 429, 502, 503, 504];

const sse = (what: string) => ({
  schema: z.string().describe(`Server-sent events in the provider's format (${what}); the guard settles the cost when the stream ends`),
});

function llmCall(opts: {
  path: string;
  operationId: string;
  summary: string;
  description: string;
  request: z.ZodType;
  response: z.ZodType;
  stream?: string;
  error: ErrorSchema;
}) {
  return createRoute({
    method: "post",
    path: opts.path,
    operationId: opts.operationId,
    summary: opts.summary,
    description: opts.description,
    request: { headers: llmHeaders, body: { required: true, content: { "application/json": { schema: opts.request } } } },
    responses: {
      200: {
        description: "The provider's answer, with the caller's budget position in the X-Budget-* headers",
        headers: allowedHeaders,
        content: {
          "application/json": { schema: opts.response },
          ...(opts.stream ? { "text/event-stream": sse(opts.stream) } : {}),
        },
      },
      ...errors(opts.error, CALL_ERRORS),
    },
  });
}

const FORWARDED = "Fields the guard does not read are forwarded to the provider unchanged.";

/** Every LLM route's definition, paths relative to `/v1`. */
export const llmRoutes = [
  llmCall({
    path: "/chat/completions",
    operationId: "createChatCompletion",
    summary: "Chat completion (OpenAI dialect), streaming or not, within the caller's budgets",
    description: `Reserves the call's worst-case cost, forwards it, and settles the provider's reported usage. ${FORWARDED}`,
    request: chatRequest,
    response: chatResponse,
    stream: "chat.completion.chunk",
    error: openAIError,
  }),
  llmCall({
    path: "/responses",
    operationId: "createResponse",
    summary: "Response (OpenAI Responses API), streaming or not, within the caller's budgets",
    description: `Stored context (previous_response_id, conversation, prompt) is counted; background jobs are metered on completion. ${FORWARDED}`,
    request: responsesRequest,
    response: responsesResponse,
    stream: "response.* events",
    error: openAIError,
  }),
  llmCall({
    path: "/embeddings",
    operationId: "createEmbedding",
    summary: "Embeddings (OpenAI dialect): input tokens only",
    description: FORWARDED,
    request: embeddingsRequest,
    response: embeddingsResponse,
    error: openAIError,
  }),
  llmCall({
    path: "/messages",
    operationId: "createMessage",
    summary: "Message (Anthropic dialect), streaming or not, within the caller's budgets",
    description: `Errors, budget blocks included, come in Anthropic's shape (a block is a rate_limit_error). ${FORWARDED}`,
    request: messagesRequest,
    response: messagesResponse,
    stream: "message_start … message_stop",
    error: anthropicError,
  }),
  createRoute({
    method: "get",
    path: "/models",
    operationId: "listModels",
    summary: "The models the guard can price and route, in OpenAI's list shape",
    responses: {
      200: { description: "The models", content: { "application/json": { schema: modelList } } },
      ...errors(openAIError, [401]),
    },
  }),
  createRoute({
    method: "get",
    path: "/budget",
    operationId: "getBudget",
    summary: "The caller's own budgets: each scope with limit, spent, reserved, remaining and reset time",
    request: {
      headers: attributionHeaders,
      query: z.object({
        user: z.string().optional().describe("The user, when X-Budget-User is not sent"),
        feature: z.string().optional().describe("The feature, when X-Budget-Feature is not sent"),
      }),
    },
    responses: {
      200: { description: "The caller's scopes", content: { "application/json": { schema: budget } } },
      ...errors(openAIError, [400, 401, 403, 429, 503]),
    },
  }),
];
