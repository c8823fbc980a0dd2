/** Which upstream dialect family a model belongs to; the provider registry maps it to a module. */
export type ProviderName = "openai" | "anthropic" | "gemini" | "mock";

/**
 * Tokenizer used to count a model's input: exact BPE for OpenAI families, an approximation for
 * Claude and Gemini (their tokenizers are not tiktoken's: counted with cl100k and scaled up).
 */
export type Encoding = "o200k_base" | "cl100k_base" | "claude_approx" | "gemini_approx";

/** Per-million-token prices of one pricing tier (USD). */
export interface TokenPrices {
  input: number;
  output: number;
  /** Price of input tokens served from the prompt cache (OpenAI cached input, Anthropic cache read). */
  cachedInput?: number;
  /** Prompt-cache write price: Anthropic 5-minute TTL, OpenAI GPT-5.6+ 30-minute retention. */
  cacheWrite?: number;
  /** Anthropic prompt-cache write at the 1-hour TTL (`cache_control.ttl: "1h"`, 2x base input). */
  cacheWrite1h?: number;
  /** Audio input tokens (chat `input_audio`); absent means the model has no audio price (refused, never $0). */
  audioInput?: number;
}

/**
 * A long-context tier: when the call's total input (uncached + cache reads +
 * cache writes + audio) is above `aboveInputTokens`, every token of the call,
 * output included, is billed at these prices (both providers bill "the full
 * request", not just the excess).
 */
export interface LongContextPrice extends TokenPrices {
  aboveInputTokens: number;
}

/** Prices in USD per 1,000,000 tokens, as the providers publish them. */
export interface ModelPrice extends TokenPrices {
  /** Higher tier above an input-size threshold. */
  longContext?: LongContextPrice;
  /**
   * Multipliers on every token price by `service_tier` (as the request names it and as the
   * response reports it), e.g. `{ default: 1, priority: 2, flex: 0.5 }`. A tier missing here
   * is unpriced: the call is refused (reserve) and, if a provider reports it anyway, settled
   * at the dearest multiplier known (settle). Absent means only the standard tier is priced.
   */
  serviceTiers?: Readonly<Record<string, number>>;
}

/** What the guard knows about a model it can route and price. */
export interface ModelInfo {
  provider: ProviderName;
  kind: "chat" | "embedding";
  encoding: Encoding;
  price: ModelPrice;
  /** Largest completion the model can produce; the default output cap when a request names none. */
  maxOutputTokens: number;
  /**
   * True when every call may bill reasoning tokens the stream never shows (OpenAI o-series and
   * GPT-5/6 families, Claude models whose thinking is always on): visible text is no measure.
   */
  hiddenReasoning: boolean;
  /** Claude models that think unless the request says `thinking: {type: "disabled"}`. */
  thinksByDefault?: boolean;
  /** OpenAI GPT-5.6+: every call may write the prompt cache (billed at cacheWrite) without asking. */
  implicitCacheWrites?: boolean;
}
