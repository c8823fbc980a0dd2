/**
 * Gemini's routes as data for the one pipeline (`../guard.ts`): generateContent
 * and streamGenerateContent (the same body; the path says which), embedContent
 * and batchEmbedContents. The model is in the path, the guard key in
 * `x-goog-api-key` or `?key=`; bodies are read in one spelling
 * (`../dialects/gemini-body.ts`) before validation.
 */
import { z } from "zod";
import { ApiError } from "../../errors";
import { normaliseCountBody, normaliseEmbedBody, normaliseGenerateBody, preprocessWith } from "../dialects/gemini-body";
import { candidatesOf } from "../dialects/gemini-billing";
import { geminiEmbedInput, geminiInput } from "../dialects/gemini-input";
import type { Body, RouteSpec } from "./spec";

/** `/{version}/models/{model}:{method}`, the only shape of Gemini path the guard serves. */
export const GEMINI_PATH = /^\/(v1beta|v1)\/models\/([^/:]+):([A-Za-z]+)$/;

/** The model and method of a Gemini path, or null. */
export function geminiTarget(url: string): { model: string; method: string } | null {
  const m = GEMINI_PATH.exec(new URL(url).pathname);
  if (!m) return null;
  try {
    return { model: decodeURIComponent(m[2]!), method: m[3]! };
  } catch {
    return null;
  }
}

/** The guard key as Gemini clients send it: `x-goog-api-key`, or `?key=` (never forwarded). */
export function geminiKey(req: Request): string | null {
  const header = req.headers.get("x-goog-api-key")?.trim();
  return header || new URL(req.url).searchParams.get("key") || null;
}

function modelFromPath(req: Request): string {
  const t = geminiTarget(req.url);
  if (!t) throw new ApiError(404, `Unknown route POST ${new URL(req.url).pathname}.`, { code: "unknown_route" });
  return t.model;
}

const part = z.looseObject({});
const content = z.looseObject({ role: z.string().max(64).optional(), parts: z.array(part) });
const generationConfig = z.looseObject({
  maxOutputTokens: z.number().int().min(1).max(10_000_000).nullish(),
  // Google accepts up to 8 candidates.
  candidateCount: z.number().int().min(1).max(8).nullish(),
});
const generateFields = {
  contents: z.array(content).min(1),
  systemInstruction: content.optional(),
  generationConfig: generationConfig.optional(),
  tools: z.array(z.looseObject({})).optional(),
  toolConfig: z.looseObject({}).optional(),
  cachedContent: z.string().min(1).max(512).optional(),
};

const generateSchema = z.preprocess(preprocessWith(normaliseGenerateBody), z.looseObject(generateFields));

const embedRequest = {
  content,
  taskType: z.string().max(64).optional(),
  title: z.string().optional(),
  outputDimensionality: z.number().int().min(1).max(100_000).optional(),
};
const embedSchema = z.preprocess(preprocessWith(normaliseEmbedBody), z.looseObject(embedRequest));
const batchSchema = z.preprocess(
  preprocessWith(normaliseEmbedBody),
  z.looseObject({ requests: z.array(z.looseObject({ ...embedRequest, model: z.string().max(300).optional() })).min(1).max(250) }),
);

/** countTokens: `contents`, or a whole `generateContentRequest`. */
export const countSchema = z.preprocess(
  preprocessWith(normaliseCountBody),
  z
    .looseObject({
      contents: z.array(content).min(1).optional(),
      generateContentRequest: z.looseObject(generateFields).optional(),
    })
    .refine((b) => b.contents !== undefined || b.generateContentRequest !== undefined, {
      message: "send contents or generateContentRequest",
      path: ["contents"],
    }),
);

const generationConfigOf = (b: Body): Body =>
  typeof b.generationConfig === "object" && b.generationConfig !== null ? (b.generationConfig as Body) : {};

function capOf(b: Body): number | null {
  const v = generationConfigOf(b).maxOutputTokens;
  return typeof v === "number" ? v : null;
}

const generateBase = {
  route: "generateContent",
  kind: "chat",
  input: geminiInput,
  // maxOutputTokens is per candidate, and Gemini counts thinking against it (see dialects/gemini.ts).
  maxTokens: (b: Body) => {
    const cap = capOf(b);
    return cap === null ? null : cap * candidatesOf(b);
  },
  withMaxTokens: (b: Body, total: number) => ({
    ...b,
    generationConfig: { ...generationConfigOf(b), maxOutputTokens: Math.max(1, Math.floor(total / candidatesOf(b))) },
  }),
  userOf: () => null,
  choices: candidatesOf,
  // Every Gemini answer and stream event carries usageMetadata: nothing to ask for, nothing to hide.
  forUpstream: (b: Body) => ({ body: b, clientWantsUsage: true }),
  credential: geminiKey,
  modelOf: modelFromPath,
} as const;

/** `POST /v1beta/models/{model}:generateContent`. */
export const generateSpec: RouteSpec = { ...generateBase, schema: generateSchema, stream: () => false };

/** `POST /v1beta/models/{model}:streamGenerateContent?alt=sse`. */
export const streamSpec: RouteSpec = { ...generateBase, schema: generateSchema, stream: () => true };

const embedBase = {
  route: "embedContent",
  kind: "embedding",
  input: geminiEmbedInput,
  maxTokens: () => null,
  withMaxTokens: (b: Body) => b,
  userOf: () => null,
  stream: () => false,
  forUpstream: (b: Body) => ({ body: b, clientWantsUsage: true }),
  credential: geminiKey,
  modelOf: modelFromPath,
} as const;

/** `POST /v1beta/models/{model}:embedContent`. */
export const embedSpec: RouteSpec = { ...embedBase, schema: embedSchema };

/** `POST /v1beta/models/{model}:batchEmbedContents` (what `@google/genai`'s embedContent calls). */
export const batchEmbedSpec: RouteSpec = { ...embedBase, schema: batchSchema };

/** The spec countTokens validates its body with (it reserves nothing). */
export const countSpec: RouteSpec = { ...generateBase, schema: countSchema, stream: () => false };
