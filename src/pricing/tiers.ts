/**
 * Service tiers and long-context tiers, by model id, applied on top of the
 * base table (table.ts). Sources and dates are in the table header; the
 * figures here are the ratios those pages publish.
 *
 * - OpenAI `service_tier: "priority"` (renamed Fast mode on 2026-07-30; the
 *   API takes `priority` or `fast`): per-model prices on
 *   openai.com/api-fast-mode and openai.com/api-priority-processing. Every
 *   model's priority price is one ratio of its standard price across input,
 *   cached input and output, so a multiplier is exact. Models the page does
 *   not list (gpt-5.4-nano, gpt-5-nano, GPT-6) have no priority price here:
 *   such a request is refused (unpriced_unit), not priced at the standard rate.
 * - OpenAI `flex`: 50% of standard ("Batch/Flex at 50%"), for the models the
 *   flex guide and secondary sources name (gpt-5, o3, o4-mini, GPT-5.4 / 5.5 /
 *   5.6 families). Elsewhere flex is unpriced.
 * - Anthropic Priority Tier: a prepaid capacity commitment (no longer sold);
 *   usage draws it down at the standard relative rates (service-tiers page),
 *   so a call served at `priority` is budgeted at the standard prices (1x).
 *   `batch` (reported only for Message Batches) is 50% (model pages: "Batch
 *   API 50% discount on input and output").
 * - Anthropic fast mode (`speed: "fast"`, reported as `usage.speed`): a
 *   multiplier on every token price "across the full context window". Opus
 *   4.8 2x and Opus 4.6 6x (Claude Code fast-mode page: $10/$50 and
 *   $30/$150); Opus 5 2x and Opus 5.5 2x secondary (OpenRouter, Vercel AI
 *   Gateway; claudit v1.9.0: Opus 5.5 fast $8/$40). Fable 5.2 fast: price not
 *   found, so unpriced.
 * - Long context (the whole call at the higher tier): OpenAI GPT-5.4 and
 *   later with a 1.05M window, above 272K input tokens, 2x input and cache,
 *   1.5x output (official gpt-5.4-pro model page; GPT-5.5 secondary:
 *   benchr.org, tokencost.app citing the docs; GPT-5.6 family: the long-context
 *   columns of the official fast-mode page follow the same 2x / 1.5x). Claude
 *   Haiku 5.5 above 100K tokens: 5x on every unit (official model page).
 *   Claude Sonnet 4.5 (1M beta) above 200K: 2x input and cache, 1.5x output
 *   (official service-tiers page burndown; $6 / $22.50 secondary: eonsr.com).
 *   Opus 4.6 and Sonnet 4.6 dropped their premium on 2026-03-13 (secondary:
 *   agentmastered.com, claudecodecamp.com) and carry none. Gemini 2.5 Pro
 *   above 200K prompt tokens: input $1.25 → $2.50, cache $0.125 → $0.25
 *   (2x), output $10 → $15 (1.5x), for the whole call (Gemini pricing page,
 *   "prompts > 200k tokens"; secondary: the page as snapshotted 2025-10-08 in
 *   alecaifactory/salfagpt, deploybase.ai March 2026).
 */
import type { LongContextPrice, ModelInfo, ModelPrice } from "./types";

/** Anthropic service tiers other than standard (see header). */
export const ANTHROPIC_TIERS: Readonly<Record<string, number>> = { priority: 1, batch: 0.5 };

const priority = (m: number, flex = false): Record<string, number> => (flex ? { priority: m, fast: m, flex: 0.5 } : { priority: m, fast: m });

/** OpenAI priority (= fast) multipliers, and flex where offered. */
const OPENAI_TIERS: Readonly<Record<string, Record<string, number>>> = {
  "gpt-5.6-sol": priority(2, true), // $10 / $1 / $60 vs $5 / $0.50 / $30
  "gpt-5.6": priority(2, true),
  "gpt-5.6-terra": priority(2, true), // $4 / $0.40 / $24
  "gpt-5.6-luna": priority(2, true), // $0.40 / $0.04 / $2.40
  "gpt-5.5": priority(2.5, true), // $12.50 / $1.25 / $75
  "gpt-5.4": priority(2, true), // $5 / $0.50 / $30
  "gpt-5.4-mini": priority(2, true), // $1.50 / $0.15 / $9
  "gpt-5.4-nano": { flex: 0.5 },
  "gpt-5.2": priority(2), // $3.50 / $0.35 / $28
  "gpt-5.1": priority(2), // $2.50 / $0.25 / $20
  "gpt-5": priority(2, true), // $2.50 / $0.25 / $20
  "gpt-5-mini": priority(1.8, true), // $0.45 / $0.045 / $3.60
  "gpt-5-nano": { flex: 0.5 },
  "gpt-4.1": priority(1.75), // $3.50 / $0.875 / $14
  "gpt-4.1-mini": priority(1.75), // $0.70 / $0.175 / $2.80
  "gpt-4.1-nano": priority(2), // $0.20 / $0.05 / $0.80
  "gpt-4o": priority(1.7), // $4.25 / $2.125 / $17
  "gpt-4o-2024-05-13": priority(1.75), // $8.75 / $26.25 vs $5 / $15
  "gpt-4o-mini": priority(0.25 / 0.15), // $0.25 / $0.125 / $1
  o3: priority(1.75, true), // $3.50 / $0.875 / $14
  "o4-mini": priority(2 / 1.1, true), // $2 / $0.50 / $8
};

/** Anthropic fast-mode multipliers (see header). */
const CLAUDE_FAST: Readonly<Record<string, number>> = {
  "claude-opus-5-5": 2,
  "claude-opus-5": 2,
  "claude-opus-4-8": 2,
  "claude-opus-4-6": 6,
};

/** Long-context rules: threshold and the multipliers on input-side and output prices. */
const LONG_CONTEXT: Readonly<Record<string, { above: number; input: number; output: number }>> = {
  "gpt-5.6-sol": { above: 272_000, input: 2, output: 1.5 },
  "gpt-5.6": { above: 272_000, input: 2, output: 1.5 },
  "gpt-5.6-terra": { above: 272_000, input: 2, output: 1.5 },
  "gpt-5.6-luna": { above: 272_000, input: 2, output: 1.5 },
  "gpt-5.5": { above: 272_000, input: 2, output: 1.5 },
  "gpt-5.4": { above: 272_000, input: 2, output: 1.5 },
  "claude-haiku-5-5": { above: 100_000, input: 5, output: 5 },
  "claude-sonnet-4-5": { above: 200_000, input: 2, output: 1.5 },
  "claude-sonnet-4-5-20250929": { above: 200_000, input: 2, output: 1.5 },
  "gemini-2.5-pro": { above: 200_000, input: 2, output: 1.5 },
};

/** The long-context tier of `p` for a rule: every input-side price times `input`, output times `output`. */
function longTier(p: ModelPrice, rule: { above: number; input: number; output: number }): LongContextPrice {
  const x = (v: number | undefined) => (v === undefined ? undefined : v * rule.input);
  const t: LongContextPrice = { aboveInputTokens: rule.above, input: p.input * rule.input, output: p.output * rule.output };
  for (const k of ["cachedInput", "cacheWrite", "cacheWrite1h", "audioInput"] as const) {
    const v = x(p[k]);
    if (v !== undefined) t[k] = v;
  }
  return t;
}

/** Adds the tiers above to the base table's entries. */
export function applyTiers(models: Record<string, ModelInfo>): Record<string, ModelInfo> {
  const out: Record<string, ModelInfo> = {};
  for (const [id, info] of Object.entries(models)) {
    let price: ModelPrice = info.price;
    const tiers = { ...(price.serviceTiers ?? {}), ...(OPENAI_TIERS[id] ?? {}) };
    if (CLAUDE_FAST[id] !== undefined) tiers.fast = CLAUDE_FAST[id];
    if (Object.keys(tiers).length > 0) price = { ...price, serviceTiers: tiers };
    const rule = LONG_CONTEXT[id];
    if (rule) price = { ...price, longContext: longTier(price, rule) };
    out[id] = price === info.price ? info : { ...info, price };
  }
  return out;
}
