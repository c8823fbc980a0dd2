/** `POST /v1/responses` (OpenAI Responses API), streaming and not. */
import { z } from "zod";
import { responsesInput } from "../../tokens/inputs";
import type { RouteSpec } from "./spec";

const schema = z
  .object({
    model: z.string().min(1).max(256),
    input: z.union([z.string(), z.array(z.union([z.looseObject({}), z.string()]))]),
    instructions: z.string().nullish(),
    max_output_tokens: z.number().int().min(1).max(10_000_000).nullish(),
    stream: z.boolean().nullish(),
    user: z.string().max(256).optional(),
    previous_response_id: z.string().nullish(),
  })
  .loose();

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
  // Responses streams always end with response.completed, which carries usage.
  forUpstream: (b) => ({ body: b, clientWantsUsage: true }),
};
