/** `POST /v1/responses` (OpenAI Responses API), streaming and not. */
import { z } from "zod";
import { responsesInput } from "../../tokens/inputs";
import type { ContextRef } from "../../ledger/types";
import type { Body, RouteSpec } from "./spec";

const schema = z
  .object({
    model: z.string().min(1).max(256),
    input: z.union([z.string(), z.array(z.union([z.looseObject({}), z.string()]))]),
    instructions: z.string().nullish(),
    max_output_tokens: z.number().int().min(1).max(10_000_000).nullish(),
    stream: z.boolean().nullish(),
    user: z.string().max(256).optional(),
    previous_response_id: z.string().min(1).max(512).nullish(),
    // A conversation by id, or as an object naming one; a prompt template by id.
    conversation: z.union([z.string().min(1).max(512), z.looseObject({ id: z.string().min(1).max(512) })]).nullish(),
    prompt: z.looseObject({ id: z.string().min(1).max(512) }).nullish(),
    background: z.boolean().nullish(),
  })
  .loose();

/** The stored context a Responses call reuses: each adds tokens the guard recorded (or cannot bound). */
function contextOf(b: Body): ContextRef[] {
  const out: ContextRef[] = [];
  if (typeof b.previous_response_id === "string") out.push({ kind: "previous_response", id: b.previous_response_id });
  const conv = b.conversation;
  if (typeof conv === "string") out.push({ kind: "conversation", id: conv });
  else if (conv && typeof conv === "object" && typeof (conv as Body).id === "string") out.push({ kind: "conversation", id: (conv as Body).id as string });
  const prompt = b.prompt as Body | null | undefined;
  if (prompt && typeof prompt.id === "string") out.push({ kind: "prompt", id: prompt.id });
  return out;
}

/** The Responses route. */
export const responsesRoute: RouteSpec = {
  route: "responses",
  schema,
  kind: "chat",
  input: responsesInput,
  maxTokens: (b) => (typeof b.max_output_tokens === "number" ? b.max_output_tokens : null),
  withMaxTokens: (b, total) => ({ ...b, max_output_tokens: total }),
  userOf: (b) => (typeof b.user === "string" && b.user.length > 0 ? b.user : null),
  stream: (b) => b.stream === true,
  context: contextOf,
  background: (b) => b.background === true,
  // Responses streams always end with response.completed, which carries usage.
  forUpstream: (b) => ({ body: b, clientWantsUsage: true }),
};
