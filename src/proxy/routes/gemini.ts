/**
 * Gemini's HTTP surface on the guard, in Google's shapes, under `/v1beta` and
 * `/v1` (`@google/genai` 3.x calls `v1` by default; the guard forwards the
 * version the client used):
 * `models/{model}:generateContent`, `:streamGenerateContent?alt=sse`,
 * `:embedContent`, `:batchEmbedContents` go through the budget pipeline;
 * `:countTokens` is counted upstream for free (gemini-count.ts). Anything else
 * is a 404 in Google's error shape (errors.ts picks it by path).
 */
import { Hono, type Context } from "hono";
import type { AppEnv } from "../../app-env";
import { ApiError } from "../../errors";
import { llmHandler } from "../guard";
import { countTokensRoute } from "./gemini-count";
import { batchEmbedSpec, embedSpec, generateSpec, geminiTarget, streamSpec } from "./gemini-specs";

const generate = llmHandler(generateSpec);
const streamGenerate = llmHandler(streamSpec);
const embed = llmHandler(embedSpec);
const batchEmbed = llmHandler(batchEmbedSpec);

function unknown(c: Context<AppEnv>): never {
  throw new ApiError(404, `Unknown route ${c.req.method} ${c.req.path}: the guard serves generateContent, streamGenerateContent, embedContent, batchEmbedContents and countTokens.`, {
    code: "unknown_route",
  });
}

/** Dispatches `models/{model}:{method}` by method (mounted for `/v1/models/*` too, beside OpenAI's `/v1`). */
export async function geminiModelRoute(c: Context<AppEnv>): Promise<Response> {
  const target = geminiTarget(c.req.url);
  if (!target) return unknown(c);
  switch (target.method) {
    case "generateContent":
      return generate(c);
    case "streamGenerateContent":
      // Without alt=sse Google streams one JSON array; the guard meters server-sent events only.
      if (c.req.query("alt") !== "sse") {
        throw new ApiError(400, "streamGenerateContent is served with alt=sse only; add ?alt=sse (the @google/genai SDK does).", {
          code: "invalid_value",
          param: "alt",
        });
      }
      return streamGenerate(c);
    case "embedContent":
      return embed(c);
    case "batchEmbedContents":
      return batchEmbed(c);
    case "countTokens":
      return countTokensRoute(c, target.model);
    default:
      return unknown(c);
  }
}

/** `/v1beta` routes. */
export const geminiRoutes = new Hono<AppEnv>().post("/models/*", geminiModelRoute).all("*", unknown);
