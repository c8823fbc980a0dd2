/**
 * Cost arithmetic in integer micro-USD. Prices are published per million
 * tokens in USD; we convert them once to micro-USD per million so every sum is
 * exact integer arithmetic, and round up once at the end of a request.
 */
import { MODELS } from "./table";
import type { ModelInfo, ModelPrice } from "./types";

/** Token counts as the provider reported them, normalised across dialects. */
export interface Usage {
  /** Input tokens billed at the full input price (excludes cache reads and writes). */
  inputTokens: number;
  /** Input tokens read from the prompt cache. */
  cachedInputTokens: number;
  /** Input tokens written to the prompt cache at the 5-minute TTL (Anthropic). */
  cacheWriteTokens: number;
  /** Input tokens written to the prompt cache at the 1-hour TTL (Anthropic `ttl: "1h"`). */
  cacheWrite1hTokens?: number;
  /** Audio input tokens (billed at the model's audio rate). */
  audioInputTokens?: number;
  /** Billed built-in tool calls by tool, e.g. `{ web_search: 3 }`. */
  toolCalls?: Record<string, number>;
  /** The service tier the provider says it served the call at. */
  serviceTier?: string;
  /** Output tokens, reasoning tokens included (they are billed as output). */
  outputTokens: number;
}

/** Prices in micro-USD per 1,000,000 tokens. */
export interface Rates {
  input: number;
  output: number;
  cachedInput: number;
  cacheWrite: number;
}

/** Converts a USD-per-million price to integer micro-USD-per-million rates. */
export function ratesOf(p: ModelPrice): Rates {
  const m = (usd: number) => Math.round(usd * 1_000_000);
  return {
    input: m(p.input),
    output: m(p.output),
    cachedInput: m(p.cachedInput ?? p.input),
    cacheWrite: m(p.cacheWrite ?? p.input),
  };
}

/** Cost of `u` at `r` in micro-USD, rounded up once. */
export function usageCost(u: Usage, r: Rates): number {
  const total =
    u.inputTokens * r.input + u.cachedInputTokens * r.cachedInput + u.cacheWriteTokens * r.cacheWrite + u.outputTokens * r.output;
  return Math.ceil(total / 1_000_000);
}

const DATED = /-(\d{4}-\d{2}-\d{2}|\d{8})$/;

/** The table entry for a model id, trying it without a trailing `-YYYY-MM-DD` snapshot date. */
export function lookupModel(model: string): ModelInfo | undefined {
  return MODELS[model] ?? (DATED.test(model) ? MODELS[model.replace(DATED, "")] : undefined);
}

/** Where a price came from. */
export type PriceSource = "tenant" | "table" | "fallback";

/**
 * The price a tenant pays for `model`: its own override (negotiated rates),
 * else the table, else its `*` fallback price; null means refuse the call.
 */
export function resolvePrice(
  model: string,
  overrides: Readonly<Record<string, ModelPrice>>,
): { price: ModelPrice; source: PriceSource } | null {
  const own = overrides[model] ?? (DATED.test(model) ? overrides[model.replace(DATED, "")] : undefined);
  if (own) return { price: own, source: "tenant" };
  const table = lookupModel(model);
  if (table) return { price: table.price, source: "table" };
  const fallback = overrides["*"];
  if (fallback) return { price: fallback, source: "fallback" };
  return null;
}
