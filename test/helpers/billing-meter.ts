/**
 * The billing double's meter: what a provider bills for a request, computed
 * from the providers' documentation, not from the guard's estimator or cost
 * code (only the price table's list prices and js-tiktoken, which are facts,
 * are shared). Input is counted exactly; output is what a hostile model does:
 * it runs to the forwarded cap, or to the model's maximum when there is none.
 */
import type { Tiktoken } from "js-tiktoken/lite";
import { MODELS } from "../../src/pricing/table";
import type { ModelPrice } from "../../src/pricing/types";

/** What the provider meters for one call. */
export interface BilledUsage {
  /** Input billed at the full input rate (text, framing, images, PDF pages, re-billed stored context). */
  inputTokens: number;
  cachedInputTokens: number;
  cacheWrite5mTokens: number;
  cacheWrite1hTokens: number;
  audioInputTokens: number;
  /** Output, hidden reasoning included. */
  outputTokens: number;
  /** The part of outputTokens that is never shown (reasoning models). */
  reasoningTokens: number;
  toolCalls: Record<string, number>;
  serviceTier: string;
}

/** A zero usage to build on. */
export function emptyUsage(): BilledUsage {
  return {
    inputTokens: 0,
    cachedInputTokens: 0,
    cacheWrite5mTokens: 0,
    cacheWrite1hTokens: 0,
    audioInputTokens: 0,
    outputTokens: 0,
    reasoningTokens: 0,
    toolCalls: {},
    serviceTier: "default",
  };
}

const DATED = /-(\d{4}-\d{2}-\d{2}|\d{8})$/;

/** Snapshots with their own list price (OpenAI pricing page: gpt-4o-2024-05-13 is $5 / $15). */
const SNAPSHOT_PRICES: Record<string, ModelPrice> = { "gpt-4o-2024-05-13": { input: 5, output: 15 } };

/** OpenAI priority processing list prices (pricing page, "Priority" tab), USD per 1M. */
const PRIORITY_PRICES: Record<string, ModelPrice> = {
  "gpt-4o": { input: 4.25, cachedInput: 2.125, output: 17 },
  "gpt-4o-mini": { input: 0.25, cachedInput: 0.125, output: 1 },
  "gpt-4.1": { input: 3.5, cachedInput: 0.875, output: 14 },
  "gpt-5": { input: 2.5, cachedInput: 0.25, output: 20 },
};

/** Audio input list prices, USD per 1M audio tokens (OpenAI pricing page, audio tokens). */
const AUDIO_INPUT_PRICES: Record<string, number> = {
  "gpt-4o-audio-preview": 40,
  "gpt-4o-audio-preview-2024-10-01": 100,
  "gpt-4o-mini-audio-preview": 10,
};
/** Text prices of the audio models (same page). */
const AUDIO_MODEL_TEXT: Record<string, ModelPrice> = {
  "gpt-4o-audio-preview": { input: 2.5, output: 10 },
  "gpt-4o-mini-audio-preview": { input: 0.15, output: 0.6 },
  "gpt-4o-audio-preview-2024-10-01": { input: 2.5, output: 10 },
};

/**
 * Built-in tool fees in micro-USD per call: web search is $10 per 1,000 calls on both providers;
 * OpenAI's older web_search_preview is $25 per 1,000 on non-reasoning models (pricing page, tools).
 */
export const TOOL_FEE_MICROS: Record<string, number> = { web_search: 10_000, web_search_preview: 25_000 };
/**
 * Input tokens each web search adds (its results, billed as input): OpenAI documents a fixed
 * 8,000 per search on gpt-4o-mini / gpt-4.1-mini; the double bills that on every model.
 */
export const SEARCH_CONTENT_TOKENS = 8000;
/** How many times an unbounded built-in tool runs in the double (a hostile model keeps searching). */
export const UNBOUNDED_TOOL_CALLS = 10;

/** The model's list price, snapshot price first. */
export function listPrice(model: string): ModelPrice {
  const p = SNAPSHOT_PRICES[model] ?? AUDIO_MODEL_TEXT[model] ?? MODELS[model]?.price ?? MODELS[model.replace(DATED, "")]?.price;
  if (!p) throw new Error(`billing double: no list price for ${model}`);
  return p;
}

/** The model's largest output (what an uncapped hostile model produces). */
export function maxOutput(model: string): number {
  const info = MODELS[model] ?? MODELS[model.replace(DATED, "")];
  return info?.maxOutputTokens ?? 16_384;
}

/** Whether a model bills hidden reasoning tokens (OpenAI o-series and GPT-5 and later). */
export function hidesReasoning(model: string): boolean {
  return /^(o\d|gpt-[5-9])/.test(model);
}

/** Whether the provider accepts audio input on this model. */
export function audioRate(model: string): number | undefined {
  return AUDIO_INPUT_PRICES[model];
}

const perM = (usd: number | undefined) => Math.round((usd ?? 0) * 1_000_000);

/** What `u` costs in micro-USD on `model`, as the provider's invoice says (rounded up once per call). */
export function billOf(model: string, u: BilledUsage, provider: "openai" | "anthropic"): number {
  const base = listPrice(model);
  let price = base;
  if (u.serviceTier === "priority") {
    const p = PRIORITY_PRICES[model.replace(DATED, "")];
    if (!p) throw new Error(`billing double: no priority price for ${model}`);
    price = p;
  } else if (u.serviceTier === "flex") {
    price = { input: base.input / 2, output: base.output / 2, cachedInput: (base.cachedInput ?? base.input) / 2 };
  }
  // Anthropic: 5-minute cache writes cost 1.25× input, 1-hour writes 2× (prompt caching docs).
  const write5m = provider === "anthropic" ? price.input * 1.25 : price.input;
  const write1h = price.input * 2;
  const audio = u.audioInputTokens > 0 ? audioRate(model) : 0;
  if (audio === undefined) throw new Error(`billing double: ${model} takes no audio`);
  const micro =
    u.inputTokens * perM(price.input) +
    u.cachedInputTokens * perM(price.cachedInput ?? price.input) +
    u.cacheWrite5mTokens * perM(write5m) +
    u.cacheWrite1hTokens * perM(write1h) +
    u.audioInputTokens * perM(audio) +
    u.outputTokens * perM(price.output);
  let fees = 0;
  for (const [tool, n] of Object.entries(u.toolCalls)) fees += n * (TOOL_FEE_MICROS[tool] ?? 0);
  return Math.ceil(micro / 1_000_000) + fees;
}

const encoders = new Map<string, Promise<Tiktoken>>();
function encoder(name: "o200k_base" | "cl100k_base"): Promise<Tiktoken> {
  let e = encoders.get(name);
  if (!e) {
    e = Promise.all([
      import("js-tiktoken/lite"),
      name === "o200k_base" ? import("js-tiktoken/ranks/o200k_base") : import("js-tiktoken/ranks/cl100k_base"),
    ]).then(([{ Tiktoken: T }, ranks]) => new T(ranks.default));
    encoders.set(name, e);
  }
  return e;
}

/**
 * Splits text before a space that starts a word, so counting the pieces apart
 * gives the same tokens as counting the whole (the tokenizer's pre-split does
 * the same); a run with no such space longer than 400 characters is cut hard,
 * because js-tiktoken is quadratic on one long piece (this can over-count by a
 * token per cut, never under-count by much).
 */
function chunks(text: string): string[] {
  const out: string[] = [];
  let start = 0;
  let lastCut = -1;
  for (let i = 1; i < text.length; i++) {
    if (text[i] === " " && i + 1 < text.length && !/\s/.test(text[i + 1] ?? "")) lastCut = i;
    if (i - start >= 400) {
      const cut = lastCut > start ? lastCut : i;
      out.push(text.slice(start, cut));
      start = cut;
    }
  }
  out.push(text.slice(start));
  return out;
}

/** Text tokens the provider counts: o200k for GPT-4o and later, cl100k for older GPTs and embeddings, cl100k × 1.3 for Claude. */
export async function textTokens(model: string, texts: string[]): Promise<number> {
  const claude = model.startsWith("claude-");
  const enc = claude || /^(gpt-4(-|$)|gpt-3\.5|text-embedding)/.test(model) ? "cl100k_base" : "o200k_base";
  const e = await encoder(enc);
  let n = 0;
  for (const t of texts) for (const c of chunks(t)) if (c.length > 0) n += e.encode(c, [], []).length;
  // Anthropic documents newer Claude tokenizers at up to ~30% more tokens than the older one.
  return claude ? Math.ceil(n * 1.3) : n;
}
