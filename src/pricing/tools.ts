/**
 * Per-call fees of provider-run ("built-in", "server") tools, in integer
 * micro-USD per billed unit, by provider. Looked up 2026-12-01 in undated
 * stored copies of the pages named below.
 *
 * OpenAI (Responses API; developers.openai.com/api/docs/pricing could not be
 * read directly, so the figures are as the OpenAI community forum quotes the
 * pricing page, staff-confirmed, and modelcostwatch.com checked 2026-03-12):
 * - `web_search`: $10 / 1k calls, search content tokens billed as input.
 * - `web_search_preview`: $10 / 1k calls on reasoning models, $25 / 1k on
 *   non-reasoning models (content tokens free there).
 * - `file_search`: $2.50 / 1k calls (forum thread on code-interpreter
 *   charges, quoting the pricing page); storage ($0.10 / GB-day) is not a
 *   per-call unit and is not budgeted here.
 * - `code_interpreter`: billed per container, not per call: $0.03 for the
 *   default 1 GB container (forum thread, 2025-11), 4 GB $0.12, 16 GB $0.48,
 *   64 GB $1.92 (the pricing page's container sizes as commonly quoted; not
 *   confirmed on a readable official page). The unit is one container.
 * Anthropic (platform.claude.com pricing and tool pages; secondary
 * claudecodeguides.com, clawdemy.org, hivebook.wiki):
 * - `web_search`: $10 / 1,000 searches (a search that errors is not billed).
 * - `web_fetch`: no charge beyond the tokens of the fetched content.
 * - `code_execution`: $0.05 per container-hour beyond a monthly free
 *   allowance, free when web_search_20260209 or web_fetch_20260209 is in the
 *   request (official code-execution page). The guard bounds one call at one
 *   container-hour ($0.05) and ignores the free allowance (over-counts).
 * Google Gemini (ai.google.dev/gemini-api/docs/pricing, not readable directly;
 * as Google staff quote it on discuss.ai.google.dev, 2025, and secondary
 * copies of the page, e.g. clannorg/CLANNAI's pricing notes):
 * - `google_search` (Grounding with Google Search, also the older
 *   `googleSearchRetrieval`) on Gemini 2.x: $35 / 1,000 grounded prompts after
 *   1,500 free requests a day, "each API call using the google_search tool
 *   counts as a single billable grounding request" (forum staff answer). The
 *   guard ignores the free allowance (over-counts). Gemini 3 bills $14 / 1,000
 *   search queries instead (forum, citing the pricing page); no Gemini 3 model
 *   is in the table, so that unit is not modelled.
 *
 * A tool name missing from its provider's table is unpriced: the call is
 * refused with unpriced_unit, never priced at $0.
 */
import type { ProviderName } from "./types";

const PER_1K = (usd: number) => Math.round((usd * 1_000_000) / 1000);

const OPENAI_FEES: Readonly<Record<string, number>> = {
  web_search: PER_1K(10),
  web_search_preview: PER_1K(25),
  file_search: PER_1K(2.5),
  code_interpreter: 30_000,
  code_interpreter_4g: 120_000,
  code_interpreter_16g: 480_000,
  code_interpreter_64g: 1_920_000,
};

const ANTHROPIC_FEES: Readonly<Record<string, number>> = {
  web_search: PER_1K(10),
  web_fetch: 0,
  code_execution: 50_000,
  /** Code execution in a request that also declares web_search_20260209 or web_fetch_20260209: free. */
  code_execution_with_web: 0,
};

const GEMINI_FEES: Readonly<Record<string, number>> = {
  google_search: PER_1K(35),
};

/** Fees by provider; the mock provider speaks every dialect and bills like each. */
export const TOOL_FEES: Readonly<Record<ProviderName, Readonly<Record<string, number>>>> = {
  openai: OPENAI_FEES,
  anthropic: ANTHROPIC_FEES,
  gemini: GEMINI_FEES,
  mock: { ...GEMINI_FEES, ...ANTHROPIC_FEES, ...OPENAI_FEES },
};

/**
 * The unit a fee key is reported under after the call: the usage of a
 * Responses call shows `web_search_call` items whichever web-search tool was
 * declared, code-interpreter containers whatever their size, and Claude's
 * code execution whether or not it was free. A call that declares a variant
 * settles that unit at the dearest variant it declared.
 */
export const SETTLES_AS: Readonly<Record<string, string>> = {
  web_search_preview: "web_search",
  code_interpreter_4g: "code_interpreter",
  code_interpreter_16g: "code_interpreter",
  code_interpreter_64g: "code_interpreter",
  code_execution_with_web: "code_execution",
};

/** Fee of a unit reported at settlement for which the reservation stored no fee: the dearest known fee. */
export const UNKNOWN_TOOL_FEE: number = Math.max(...Object.values(OPENAI_FEES), ...Object.values(ANTHROPIC_FEES));

/**
 * The fee table for a model: its provider's, with the reasoning-model rate of
 * `web_search_preview` ($10 instead of $25 per 1k calls).
 */
export function toolFeesFor(provider: ProviderName, reasoning: boolean): Record<string, number> {
  const fees = { ...TOOL_FEES[provider] };
  if (reasoning && fees.web_search_preview !== undefined) fees.web_search_preview = PER_1K(10);
  return fees;
}
