/** `POST /v1/embeddings`: input tokens only. */
import { z } from "zod";
import { embeddingsInput } from "../../tokens/inputs";
import type { RouteSpec } from "./spec";

const tokens = z.array(z.number().int().nonnegative());
const schema = z
  .object({
    model: z.string().min(1).max(256),
    input: z.union([z.string(), z.array(z.string()).min(1), tokens.min(1), z.array(tokens).min(1)]),
    user: z.string().max(256).optional(),
    encoding_format: z.enum(["float", "base64"]).optional(),
  })
  .loose();

/** The embeddings route. */
export const embeddingsRoute: RouteSpec = {
  route: "embeddings",
  schema,
  kind: "embedding",
  input: embeddingsInput,
  maxTokens: () => null,
  withMaxTokens: (b) => b,
  userOf: (b) => (typeof b.user === "string" && b.user.length > 0 ? b.user : null),
  stream: () => false,
  forUpstream: (b) => ({ body: b, clientWantsUsage: true }),
};
