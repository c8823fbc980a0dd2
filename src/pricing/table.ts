/**
 * Built-in price table: list prices in USD per 1,000,000 tokens, as the
 * providers publish them for their standard (non-batch, non-priority) tier.
 *
 * Where the prices come from
 * - OpenAI: the models page and the per-model pages under
 *   developers.openai.com/api/docs/models (each carries the model's standard
 *   text-token prices and max output tokens), the model-compare page, and the
 *   deprecations page. The pricing page itself
 *   (developers.openai.com/api/docs/pricing) could not be read directly.
 * - Anthropic: platform.claude.com/docs/en/about-claude/pricing (model pricing
 *   table: base input, 5m cache write, cache hit, output) and the per-model
 *   overview pages under platform.claude.com/docs/en/models/ (model ids, max
 *   output, status), plus the model-deprecations page.
 * - Google Gemini: ai.google.dev/gemini-api/docs/pricing could not be read
 *   directly; every Gemini figure is secondary (see the entries), from copies
 *   of that page: alecaifactory/salfagpt (snapshot of 2025-10-08),
 *   eidast/ai-models-stats, deploybase.ai (March 2026), morphllm.com.
 * - An entry marked "secondary:" could not be confirmed on an official page
 *   that was readable; the named secondary source (which itself cites the
 *   official page) was used instead. Anything that could not be confirmed at
 *   all is left out (see the list at the end of this comment).
 *
 * Checked date
 *   The stored copies of the official pages are undated. The freshest official
 *   pages read reflect OpenAI's GPT-6.2 launch of 2026-11-17 (OpenAI models
 *   page) and Anthropic's Claude Fable 5.2 launch of 2026-11-09 (Anthropic
 *   model pages), so PRICE_TABLE_CHECKED is 2026-11-17, not today. Some
 *   per-model pages read were older snapshots; entries whose price may have
 *   moved since are flagged below (e.g. gpt-5.6-sol's promotion).
 *
 * Other billed units (dated sources in tiers.ts and tools.ts):
 *   - 1h cache writes (Anthropic): 2x base input on every model (official
 *     pricing table, "1h cache writes" column; model pages: Opus 5 $10, Opus
 *     5.5 $8, Sonnet 5 / 5.5 $4, Haiku 5.5 $0.20). Derived as 2x for every
 *     Claude entry (Fable 5.2's $16 is therefore derived, not read).
 *   - Service tiers (OpenAI priority/fast and flex, Anthropic Priority Tier
 *     and fast mode) and long-context tiers (OpenAI GPT-5.4+ above 272K,
 *     Claude Haiku 5.5 above 100K, Sonnet 4.5 above 200K): tiers.ts.
 *   - Built-in tool fees (web search, file search, code execution): tools.ts.
 *   - Audio input: only the gpt-4o audio-preview entries carry an audioInput
 *     price; audio sent to any other model is refused (unpriced_unit).
 *   - Dated snapshots: a `-YYYY-MM-DD` id is priced as its base id unless the
 *     table lists the snapshot itself (gpt-4o-2024-05-13 has its own price).
 *
 * Not modelled: OpenAI 12h/24h extended cache retention, batch (the guard does
 * not proxy batch APIs), regional (data-residency) uplifts (+10% on GPT-5.4),
 * Anthropic US-only inference (`inference_geo: "us"`, 1.1x on Opus 4.6+).
 *
 * Tenants override any of these with `prices` in their config (negotiated
 * rates take precedence over this table). A model that is neither in a
 * tenant's `prices` nor in this table is refused with 400, unless the tenant
 * sets a fallback price (`prices["*"]`).
 *
 * Left out (price or availability not confirmed): claude-mythos-5 and
 * claude-mythos-5-1 (invitation-only; API ids not confirmed), claude-opus-4-1
 * (retired on the Claude API 2026-06-05), claude-opus-4 and claude-sonnet-4
 * (retired 2026-06-15), claude-3-7-sonnet and claude-3-5-haiku (retired
 * 2026-02-19), claude-3-haiku (current status not confirmed), OpenAI "pro"
 * variants (gpt-5-pro, gpt-5.2-pro, gpt-5.4-pro, gpt-5.5-pro, o3-pro),
 * codex/chat-latest/realtime variants and gpt-audio models.
 */
import { ANTHROPIC_TIERS, applyTiers } from "./tiers";
import type { Encoding, ModelInfo, ModelPrice, ProviderName } from "./types";

/** ISO date the prices were last checked against the sources (see header). */
export const PRICE_TABLE_CHECKED: string = "2026-11-17";

/** Official pricing and model pages used (secondary sources are named next to the entries that needed them). */
export const PRICE_SOURCES: readonly string[] = [
  "https://developers.openai.com/api/docs/models",
  "https://ai.google.dev/gemini-api/docs/pricing",
  "https://developers.openai.com/api/docs/models/compare",
  "https://developers.openai.com/api/docs/models/gpt-6.2-sol",
  "https://developers.openai.com/api/docs/models/gpt-6-luna",
  "https://developers.openai.com/api/docs/models/gpt-5.6-sol",
  "https://developers.openai.com/api/docs/models/gpt-5-nano",
  "https://developers.openai.com/api/docs/models/gpt-4",
  "https://developers.openai.com/api/docs/models/gpt-4-turbo",
  "https://developers.openai.com/api/docs/models/text-embedding-3-large",
  "https://developers.openai.com/api/docs/deprecations",
  "https://developers.openai.com/api/docs/models/gpt-5.4-pro",
  "https://openai.com/api-fast-mode/",
  "https://openai.com/api-priority-processing/",
  "https://platform.claude.com/docs/en/about-claude/pricing",
  "https://platform.claude.com/docs/en/about-claude/model-deprecations",
  "https://platform.claude.com/docs/en/api/service-tiers",
  "https://platform.claude.com/docs/en/build-with-claude/fast-mode",
  "https://code.claude.com/docs/en/fast-mode",
  "https://platform.claude.com/docs/en/agents-and-tools/tool-use/code-execution-tool",
  "https://platform.claude.com/docs/en/models/sonnet-5/overview",
  "https://platform.claude.com/docs/en/models/opus-5-5/overview",
  "https://platform.claude.com/docs/en/models/opus-5/overview",
  "https://platform.claude.com/docs/en/models/opus-4-8/overview",
  "https://platform.claude.com/docs/en/models/opus-4-6/overview",
  "https://platform.claude.com/docs/en/models/opus-4-5/overview",
  "https://platform.claude.com/docs/en/models/fable-5/overview",
  "https://platform.claude.com/docs/en/models/sonnet-5-5/overview",
  "https://platform.claude.com/docs/en/models/sonnet-5/overview",
  "https://platform.claude.com/docs/en/models/sonnet-4-5/overview",
  "https://platform.claude.com/docs/en/models/haiku-5-5/overview",
  "https://platform.claude.com/docs/en/models/haiku-4-5/overview",
];

function chat(provider: ProviderName, encoding: Encoding, maxOutputTokens: number, price: ModelPrice, extra: Partial<ModelInfo> = {}): ModelInfo {
  return { provider, kind: "chat", encoding, price, maxOutputTokens, hiddenReasoning: false, ...extra };
}

function embedding(provider: ProviderName, encoding: Encoding, input: number): ModelInfo {
  return { provider, kind: "embedding", encoding, price: { input, output: 0 }, maxOutputTokens: 0, hiddenReasoning: false };
}

const openai = (maxOutputTokens: number, price: ModelPrice): ModelInfo => chat("openai", "o200k_base", maxOutputTokens, price);
/** OpenAI reasoning models (o-series, GPT-5 and later): reasoning tokens are billed as output and never streamed. */
const openaiReasoning = (maxOutputTokens: number, price: ModelPrice): ModelInfo =>
  chat("openai", "o200k_base", maxOutputTokens, price, { hiddenReasoning: true, implicitCacheWrites: price.cacheWrite !== undefined });
const openaiLegacy = (maxOutputTokens: number, price: ModelPrice): ModelInfo => chat("openai", "cl100k_base", maxOutputTokens, price);
/**
 * Claude models. The 1-hour cache write is 2x base input on every model of the official pricing
 * table, so it is derived unless given. `thinking` says how the model thinks: "request" (only with
 * `thinking` in the body), "default" (unless the body disables it), "always" (cannot be disabled).
 */
const claude = (maxOutputTokens: number, price: ModelPrice, thinking: "request" | "default" | "always" = "request"): ModelInfo =>
  chat("anthropic", "claude_approx", maxOutputTokens, { cacheWrite1h: price.input * 2, ...price, serviceTiers: price.serviceTiers ?? ANTHROPIC_TIERS }, {
    hiddenReasoning: thinking === "always",
    thinksByDefault: thinking !== "request",
  });

/**
 * Gemini models. Thinking is billed as output ("output price including thinking tokens") and never
 * streamed in full, so a model that can think hides output; Gemini's tokenizer is not tiktoken's.
 */
const gemini = (maxOutputTokens: number, price: ModelPrice, thinks: boolean): ModelInfo =>
  chat("gemini", "gemini_approx", maxOutputTokens, price, { hiddenReasoning: thinks });

// Anthropic snapshots that have both a dated id and an alias share one entry.
// (Anthropic dates are -YYYYMMDD, which the -YYYY-MM-DD stripping in cost.ts
// does not cover, so both ids are listed explicitly.)
const CLAUDE_OPUS_4_5 = claude(64_000, { input: 5, cacheWrite: 6.25, cachedInput: 0.5, output: 25 });
const CLAUDE_SONNET_4_5 = claude(64_000, { input: 3, cacheWrite: 3.75, cachedInput: 0.3, output: 15 });
const CLAUDE_HAIKU_4_5 = claude(64_000, { input: 1, cacheWrite: 1.25, cachedInput: 0.1, output: 5 });

// gpt-5.6-sol: the official model page shows a promotional $4 / $0.40 / $20,
// "available at least until November 21, 2026"; whether it still applies after
// that date could not be confirmed, so the table carries the list price it
// replaced ($5 input / $30 output, i.e. the page's "20% / 33% reduction";
// cached $0.50, secondary: wavespeed.ai, apiyi). Cache writes are 1.25x input
// per the official page. Over-counts while the promotion lasts.
const GPT_5_6_SOL = openaiReasoning(128_000, { input: 5, cachedInput: 0.5, cacheWrite: 6.25, output: 30 });

export const MODELS: Readonly<Record<string, ModelInfo>> = applyTiers({
  // ── Built-in mock provider (fixed values, not from any source) ──────────────
  "mock-small": chat("mock", "o200k_base", 16_384, { input: 0.15, cachedInput: 0.075, output: 0.6 }),
  "mock-large": chat("mock", "o200k_base", 16_384, { input: 2.5, cachedInput: 1.25, output: 10 }),
  "mock-embed": embedding("mock", "o200k_base", 0.02),

  // ── OpenAI GPT-6 family ─────────────────────────────────────────────────────
  // OpenAI publishes "cache writes" (30-minute retention) for GPT-5.6 and later;
  // they go in cacheWrite. Encoding: OpenAI documents no tokenizer for GPT-6;
  // o200k_base is used as the closest known encoding (an approximation).
  // Official models page (lists GPT-6.2, released 2026-11-17): $8 / $40, 128K out.
  // Cached input $0.40 secondary: AgentCompass-Router v0.6.8 release notes. Cache-write price not found.
  "gpt-6.2-astra": openaiReasoning(128_000, { input: 8, cachedInput: 0.4, output: 40 }),
  // Official model page: $2 / cached $0.10 / cache writes $2.50 / $10, 128K out.
  "gpt-6.2-sol": openaiReasoning(128_000, { input: 2, cachedInput: 0.1, cacheWrite: 2.5, output: 10 }),
  // Official model-compare page: $10 / cached $1 / cache writes $12.50 / $50, 128K out.
  "gpt-6-astra": openaiReasoning(128_000, { input: 10, cachedInput: 1, cacheWrite: 12.5, output: 50 }),
  // Secondary (each citing the official gpt-6.1-sol page): LiteLLM blog, Codex-Manager 0.4.7, apidog.
  "gpt-6.1-sol": openaiReasoning(128_000, { input: 2, cachedInput: 0.1, cacheWrite: 2.5, output: 10 }),
  // Secondary (citing the official gpt-6-sol page): apidog GPT-6.1 Sol migration guide, inference.sh.
  "gpt-6-sol": openaiReasoning(128_000, { input: 2, cachedInput: 0.2, cacheWrite: 2.5, output: 10 }),
  // Official models page: $1 / $5. Cached $0.05 and 128K out secondary: apidog "What is GPT-6.1 Terra".
  // Cache-write price not found.
  "gpt-6.1-terra": openaiReasoning(128_000, { input: 1, cachedInput: 0.05, output: 5 }),
  // Official model page: $0.10 / cached $0.01 / cache writes $0.125 / $0.50, 128K out.
  "gpt-6-luna": openaiReasoning(128_000, { input: 0.1, cachedInput: 0.01, cacheWrite: 0.125, output: 0.5 }),

  // ── OpenAI GPT-5.x ──────────────────────────────────────────────────────────
  "gpt-5.6-sol": GPT_5_6_SOL,
  "gpt-5.6": GPT_5_6_SOL, // official alias of gpt-5.6-sol
  // Official models page: $2 / $12 and $0.20 / $1.20, 128K out. Cached input (10% of input)
  // secondary: PromptFuel v1.0.19. Cache-write price not confirmed.
  "gpt-5.6-terra": openaiReasoning(128_000, { input: 2, cachedInput: 0.2, output: 12 }),
  "gpt-5.6-luna": openaiReasoning(128_000, { input: 0.2, cachedInput: 0.02, output: 1.2 }),
  // Input $5 official (comparison on the gpt-5.6-sol page). Cached $0.50 and output $30 secondary:
  // Vercel AI Gateway, morphllm (June 2026). Max output 128K assumed as for the rest of GPT-5.x
  // (Vercel lists 272K; not confirmed on an official page).
  "gpt-5.5": openaiReasoning(128_000, { input: 5, cachedInput: 0.5, output: 30 }),
  // Input prices official (comparisons on the gpt-5.6-sol and gpt-5-nano pages); cached/output and
  // 128K out secondary: adk-model pricing.rs, morphllm, Vercel AI Gateway.
  "gpt-5.4": openaiReasoning(128_000, { input: 2.5, cachedInput: 0.25, output: 15 }),
  "gpt-5.4-mini": openaiReasoning(128_000, { input: 0.75, cachedInput: 0.075, output: 4.5 }),
  "gpt-5.4-nano": openaiReasoning(128_000, { input: 0.2, cachedInput: 0.02, output: 1.25 }), // shuts down 2027-04-01
  // Secondary: nicolalazzari.ai (2026), Vercel AI Gateway (128K out).
  "gpt-5.2": openaiReasoning(128_000, { input: 1.75, cachedInput: 0.175, output: 14 }),
  // Secondary: pydantic/genai-prices, deploybase.ai (March 2026). Shuts down 2027-04-01.
  "gpt-5.1": openaiReasoning(128_000, { input: 1.25, cachedInput: 0.125, output: 10 }),
  // gpt-5 / gpt-5-mini / gpt-5-nano shut down on 2026-12-11 (official deprecations page).
  // gpt-5 and gpt-5-mini secondary: pydantic/genai-prices, nicolalazzari.ai; gpt-5-nano official page.
  "gpt-5": openaiReasoning(128_000, { input: 1.25, cachedInput: 0.125, output: 10 }),
  "gpt-5-mini": openaiReasoning(128_000, { input: 0.25, cachedInput: 0.025, output: 2 }),
  "gpt-5-nano": openaiReasoning(128_000, { input: 0.05, cachedInput: 0.005, output: 0.4 }),

  // ── OpenAI GPT-4.1 / GPT-4o ─────────────────────────────────────────────────
  // No readable official page; long-standing list prices, secondary: deploybase.ai (March 2026),
  // tokenmath.io (checked 2026-06-21), Helicone; api-evangelist (pricing page read 2026-11-05)
  // confirms GPT-4.1 and 4o-mini cached input at 1/4 and 1/2 of input.
  // gpt-4o, gpt-4o-mini, gpt-4.1, gpt-4.1-mini shut down on 2027-01-14.
  "gpt-4.1": openai(32_768, { input: 2, cachedInput: 0.5, output: 8 }),
  "gpt-4.1-mini": openai(32_768, { input: 0.4, cachedInput: 0.1, output: 1.6 }),
  "gpt-4.1-nano": openai(32_768, { input: 0.1, cachedInput: 0.025, output: 0.4 }), // shut down 2026-10-23
  "gpt-4o": openai(16_384, { input: 2.5, cachedInput: 1.25, output: 10 }),
  // The first gpt-4o snapshot kept its own, higher list price (no cached-input discount); listed
  // explicitly so it is not priced as gpt-4o by the date stripping in cost.ts. Official: the
  // priority-processing page lists it apart ($8.75 / $26.25 = 1.75x of $5 / $15); $5 / $15
  // secondary: Helicone, pydantic/genai-prices.
  "gpt-4o-2024-05-13": openai(4_096, { input: 5, output: 15 }),
  "gpt-4o-mini": openai(16_384, { input: 0.15, cachedInput: 0.075, output: 0.6 }),
  // Audio input models (chat `input_audio`). The current gpt-4o-audio-preview is $2.50 / $10 text and
  // $40 per 1M audio input tokens (secondary: OpenRouter's model description, via aitoolrank.net,
  // 2026-03-23); its first snapshot kept $100 (secondary: therouter.ai lists $120 at its 1.2x markup).
  // gpt-4o-mini-audio-preview audio input $10 (secondary: therouter.ai, $12 at 1.2x). Audio output
  // is not priced: a request asking for it is refused (billing.ts).
  "gpt-4o-audio-preview": openai(16_384, { input: 2.5, output: 10, audioInput: 40 }),
  "gpt-4o-audio-preview-2024-10-01": openai(16_384, { input: 2.5, output: 10, audioInput: 100 }),
  "gpt-4o-mini-audio-preview": openai(16_384, { input: 0.15, output: 0.6, audioInput: 10 }),

  // ── OpenAI o-series ─────────────────────────────────────────────────────────
  // Secondary: deploybase.ai, pydantic/genai-prices, Roo-Code. o3 shuts down 2026-12-11;
  // o1, o3-mini and o4-mini were shut down on 2026-10-23 (kept so requests still price).
  o3: openaiReasoning(100_000, { input: 2, cachedInput: 0.5, output: 8 }),
  o1: openaiReasoning(100_000, { input: 15, cachedInput: 7.5, output: 60 }),
  "o3-mini": openaiReasoning(100_000, { input: 1.1, cachedInput: 0.55, output: 4.4 }),
  "o4-mini": openaiReasoning(100_000, { input: 1.1, cachedInput: 0.275, output: 4.4 }),

  // ── OpenAI older chat models (shut down upstream on 2026-10-23) ─────────────
  "gpt-4-turbo": openaiLegacy(4_096, { input: 10, output: 30 }), // official model page
  "gpt-4": openaiLegacy(8_192, { input: 30, output: 60 }), // official model page
  "gpt-3.5-turbo": openaiLegacy(4_096, { input: 0.5, output: 1.5 }), // secondary: pydantic/genai-prices

  // ── OpenAI embeddings ───────────────────────────────────────────────────────
  "text-embedding-3-small": embedding("openai", "cl100k_base", 0.02), // official (text-embedding-3-large page comparison)
  "text-embedding-3-large": embedding("openai", "cl100k_base", 0.13), // official model page
  "text-embedding-ada-002": embedding("openai", "cl100k_base", 0.1), // secondary: praison.ai docs, OpenRouter

  // ── Anthropic ───────────────────────────────────────────────────────────────
  // cachedInput = "cache hits and refreshes", cacheWrite = "5m cache writes".
  // Claude 4.7 and later use a newer tokenizer (~30% more tokens than Haiku 4.5 for the same text,
  // per the Haiku 5.5 page); claude_approx is an approximation either way.
  // Fable 5.2 (released 2026-11-09): $8 / $40 official (lineup table on the model pages).
  // Cache hit $0.20, 5m write $10 and 128K out secondary: LaoZhang API announcement, Runware.
  "claude-fable-5-2": claude(128_000, { input: 8, cacheWrite: 10, cachedInput: 0.2, output: 40 }, "always"),
  // Official pricing table (cache hits $0.25) and model pages (128K out).
  "claude-fable-5-1": claude(128_000, { input: 10, cacheWrite: 12.5, cachedInput: 0.25, output: 50 }, "always"),
  "claude-fable-5": claude(128_000, { input: 10, cacheWrite: 12.5, cachedInput: 1, output: 50 }, "default"),
  // Official model page: $4 / 5m $5 / hit $0.20 / $20, 128K out.
  "claude-opus-5-5": claude(128_000, { input: 4, cacheWrite: 5, cachedInput: 0.2, output: 20 }, "always"),
  // Official pricing table and model pages (128K out).
  "claude-opus-5": claude(128_000, { input: 5, cacheWrite: 6.25, cachedInput: 0.5, output: 25 }, "default"),
  "claude-opus-4-8": claude(128_000, { input: 5, cacheWrite: 6.25, cachedInput: 0.5, output: 25 }),
  // Price official (pricing table); 128K out secondary: Effect-TS @effect/ai-anthropic beta.106.
  "claude-opus-4-7": claude(128_000, { input: 5, cacheWrite: 6.25, cachedInput: 0.5, output: 25 }),
  "claude-opus-4-6": claude(128_000, { input: 5, cacheWrite: 6.25, cachedInput: 0.5, output: 25 }),
  "claude-opus-4-5-20251101": CLAUDE_OPUS_4_5,
  "claude-opus-4-5": CLAUDE_OPUS_4_5,
  // $2 / 5m $2.50 / $10 and 128K out official. Cache hit cut from $0.20 to $0.10 on 2026-10-07;
  // the official page copy read predates the cut, so $0.10 is secondary: claudit v1.9.2 (re-checked
  // against the live pricing page 2026-10-24), PromptFuel v1.0.23.
  "claude-sonnet-5-5": claude(128_000, { input: 2, cacheWrite: 2.5, cachedInput: 0.1, output: 10 }, "default"),
  "claude-sonnet-5": claude(128_000, { input: 2, cacheWrite: 2.5, cachedInput: 0.2, output: 10 }, "default"),
  // Price official (pricing table); 128K out secondary: Effect-TS @effect/ai-anthropic beta.106.
  "claude-sonnet-4-6": claude(128_000, { input: 3, cacheWrite: 3.75, cachedInput: 0.3, output: 15 }),
  // Deprecated; retires 2026-11-30 (official model page).
  "claude-sonnet-4-5-20250929": CLAUDE_SONNET_4_5,
  "claude-sonnet-4-5": CLAUDE_SONNET_4_5,
  // Haiku 5.5 (released 2026-10-07): base tier for prompts up to 100K tokens (see header). Official
  // page: "from $0.10 / $0.50", 128K out. Cache hit $0.01 and 5m write $0.125 secondary: claudit
  // v1.9.2, PromptFuel v1.0.23, apidog.
  "claude-haiku-5-5": claude(128_000, { input: 0.1, cacheWrite: 0.125, cachedInput: 0.01, output: 0.5 }, "default"),
  "claude-haiku-4-5-20251001": CLAUDE_HAIKU_4_5,
  "claude-haiku-4-5": CLAUDE_HAIKU_4_5,

  // ── Google Gemini ───────────────────────────────────────────────────────────
  // Standard (paid) tier; batch and the free tier are not modelled. audioInput is the page's audio
  // input price; cached audio is billed as fresh audio (dialects/gemini.ts), an over-count.
  // 2.5 Pro: $1.25 / $10, cache $0.125, >200K tier in tiers.ts; audio at the text price. Secondary:
  // salfagpt (2025-10-08 snapshot), eidast/ai-models-stats, deploybase.ai (March 2026). 65,536 out.
  "gemini-2.5-pro": gemini(65_536, { input: 1.25, cachedInput: 0.125, output: 10, audioInput: 1.25 }, true),
  // 2.5 Flash: $0.30 text/image/video, $1.00 audio, $2.50 out, cache $0.03 (same sources). Thinks by default.
  "gemini-2.5-flash": gemini(65_536, { input: 0.3, cachedInput: 0.03, output: 2.5, audioInput: 1 }, true),
  // 2.5 Flash-Lite: $0.10 / $0.40 and cache $0.01 (eidast/ai-models-stats, salfagpt, morphllm). Audio input
  // NOT CONFIRMED: the preview's $0.50 (clannorg/CLANNAI) is used, the highest figure seen (the GA price may
  // be lower: over-counts). Thinks only when asked, but a request can ask: treated as hiding output.
  "gemini-2.5-flash-lite": gemini(65_536, { input: 0.1, cachedInput: 0.01, output: 0.4, audioInput: 0.5 }, true),
  // 2.0 Flash: $0.10 / $0.40 (salfagpt, eidast, morphllm: "shuts down June 1, 2026"; kept so requests still
  // price). Cache price NOT CONFIRMED (eidast lists none): cached input is billed at the input price.
  // Audio $0.70 NOT CONFIRMED (no readable source). No thinking; 8,192 out.
  "gemini-2.0-flash": gemini(8_192, { input: 0.1, output: 0.4, audioInput: 0.7 }, false),
  // gemini-embedding-001: $0.15 per 1M input tokens (salfagpt, eidast).
  "gemini-embedding-001": embedding("gemini", "gemini_approx", 0.15),
});
