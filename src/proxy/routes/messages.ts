/** `POST /v1/messages` (Anthropic dialect), streaming and not. */
import { z } from "zod";
import { messagesInput } from "../../tokens/inputs";
import type { Body, RouteSpec } from "./spec";

const schema = z
  .object({
    model: z.string().min(1).max(256),
    messages: z
      .array(
        z
          .object({
            role: z.enum(["user", "assistant"]),
            content: z.union([z.string(), z.array(z.looseObject({ type: z.string() }))]),
          })
          .loose(),
      )
      .min(1),
    // Anthropic requires max_tokens; the guard does too, so the estimate is an upper bound.
    max_tokens: z.number().int().min(1).max(10_000_000),
    system: z.union([z.string(), z.array(z.looseObject({ type: z.string() }))]).optional(),
    stream: z.boolean().optional(),
    metadata: z.looseObject({ user_id: z.string().max(256).nullish() }).optional(),
  })
  .loose();

/** The Anthropic Messages route. */
export const messagesRoute: RouteSpec = {
  route: "messages",
  schema,
  kind: "chat",
  input: messagesInput,
  maxTokens: (b) => (typeof b.max_tokens === "number" ? b.max_tokens : null),
  withMaxTokens: (b, total) => ({ ...b, max_tokens: total }),
  userOf(b) {
    const id = (b.metadata as Body | undefined)?.user_id;
    return typeof id === "string" && id.length > 0 ? id : null;
  },
  stream: (b) => b.stream === true,
  forUpstream: (b) => ({ body: b, clientWantsUsage: true }),
};
