/** `POST /v1/chat/completions` (OpenAI dialect), streaming and not. */
import { z } from "zod";
import { chatInput } from "../../tokens/inputs";
import type { Body, RouteSpec } from "./spec";

const cap = z.number().int().min(1).max(10_000_000).nullish();

const message = z
  .object({
    role: z.enum(["system", "developer", "user", "assistant", "tool", "function"]),
    content: z.union([z.string(), z.array(z.looseObject({ type: z.string() })), z.null()]).optional(),
    name: z.string().max(256).optional(),
  })
  .loose();

const schema = z
  .object({
    model: z.string().min(1).max(256),
    messages: z.array(message).min(1),
    max_tokens: cap,
    max_completion_tokens: cap,
    n: z.number().int().min(1).max(128).nullish(),
    stream: z.boolean().nullish(),
    stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullish(),
    user: z.string().max(256).optional(),
  })
  .loose();

const choices = (b: Body) => (typeof b.n === "number" && b.n > 1 ? b.n : 1);

/** The chat completions route. */
export const chatRoute: RouteSpec = {
  route: "chat",
  schema,
  kind: "chat",
  input: chatInput,
  maxTokens(b) {
    const v = b.max_completion_tokens ?? b.max_tokens;
    return typeof v === "number" ? v * choices(b) : null;
  },
  withMaxTokens(b, total) {
    const per = Math.max(1, Math.floor(total / choices(b)));
    // Keep the field the client used; newer OpenAI models only accept max_completion_tokens.
    if (b.max_tokens !== undefined && b.max_tokens !== null && b.max_completion_tokens == null) return { ...b, max_tokens: per };
    return { ...b, max_completion_tokens: per };
  },
  userOf: (b) => (typeof b.user === "string" && b.user.length > 0 ? b.user : null),
  stream: (b) => b.stream === true,
  choices,
  forUpstream(b, stream) {
    if (!stream) return { body: b, clientWantsUsage: false };
    const opts = (b.stream_options ?? {}) as Body;
    const clientWantsUsage = opts.include_usage === true;
    return { body: { ...b, stream_options: { ...opts, include_usage: true } }, clientWantsUsage };
  },
};
