/** Which upstream dialect family a model belongs to; the provider registry maps it to a module. */
export type ProviderName = "openai" | "anthropic" | "mock";

/** Tokenizer used to count a model's input: exact BPE for OpenAI families, an approximation for Claude. */
export type Encoding = "o200k_base" | "cl100k_base" | "claude_approx";

/** Prices in USD per 1,000,000 tokens, as the providers publish them. */
export interface ModelPrice {
  input: number;
  output: number;
  /** Price of input tokens served from the prompt cache (OpenAI cached input, Anthropic cache read). */
  cachedInput?: number;
  /** Anthropic prompt-cache write (5-minute TTL) price. */
  cacheWrite?: number;
}

/** What the guard knows about a model it can route and price. */
export interface ModelInfo {
  provider: ProviderName;
  kind: "chat" | "embedding";
  encoding: Encoding;
  price: ModelPrice;
  /** Largest completion the model can produce; the default output cap when a request names none. */
  maxOutputTokens: number;
}
