/**
 * What a Gemini body says about billing beyond its text (see ../billing.ts):
 * candidates, Google's built-in tools, and output modalities.
 *
 * - `googleSearch` (and the older `googleSearchRetrieval`): Gemini 2.x bills
 *   per grounded prompt ($35 / 1,000 after a daily free allowance the guard
 *   ignores, pricing/tools.ts), however many queries the model runs; one unit
 *   per call. The results are added to the input (`toolUsePromptTokenCount`)
 *   with no documented bound: the guard reserves the same chosen bound per
 *   grounded call as for one web search elsewhere (billing.ts).
 * - `codeExecution`: no fee, but the model may run code repeatedly and every
 *   run's output is added to the input, with no limit the request can set:
 *   unbounded. `urlContext`: the fetched pages are added to the input with no
 *   bound: unbounded.
 * - Any other built-in tool (Maps, File Search, computer use, enterprise web
 *   search) has no fee in the guard: refused as unpriced, never priced at $0.
 * - Image or audio output (`responseModalities`, `speechConfig`) has no price
 *   in the guard: unpriced.
 */
import { SEARCH_CONTENT_TOKENS, type BillingHints } from "../billing";

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** Tool fields the client runs itself (no fee; their declarations are counted as input text). */
const CLIENT_TOOLS = new Set(["functionDeclarations"]);
const SEARCH_TOOLS = new Set(["googleSearch", "googleSearchRetrieval"]);
const UNBOUNDED_TOOLS: Readonly<Record<string, string>> = {
  codeExecution: "code execution output is added to the input with no limit on the number of runs",
  urlContext: "the fetched pages are added to the input; the guard cannot bound them",
};

/** Candidates a body asks for (`generationConfig.candidateCount`), at least 1. */
export function candidatesOf(body: Json): number {
  const gc = isObj(body.generationConfig) ? body.generationConfig : {};
  const n = gc.candidateCount;
  return typeof n === "number" && Number.isInteger(n) && n > 1 ? n : 1;
}

/** The billing hints of a generateContent body. */
export function geminiHints(body: Json): BillingHints {
  const h: BillingHints = {
    choices: candidatesOf(body),
    toolCalls: {},
    serviceTier: null,
    cacheTtl: null,
    unbounded: [],
    unpriced: [],
    extraInputTokens: 0,
    inputPasses: 1,
  };
  const tools = Array.isArray(body.tools) ? body.tools : [];
  tools.forEach((t, i) => {
    if (!isObj(t)) return;
    for (const field of Object.keys(t)) {
      if (CLIENT_TOOLS.has(field)) continue;
      if (SEARCH_TOOLS.has(field)) {
        h.toolCalls.google_search = 1;
        h.extraInputTokens = SEARCH_CONTENT_TOKENS;
      } else if (UNBOUNDED_TOOLS[field]) h.unbounded.push(`tools[${i}].${field}: ${UNBOUNDED_TOOLS[field]}`);
      else h.unpriced.push(`tools[${i}].${field}: built-in tool "${field}" (no fee is known for it; remove it or use a tool the guard prices)`);
    }
  });
  const gc = isObj(body.generationConfig) ? body.generationConfig : {};
  const modalities = Array.isArray(gc.responseModalities) ? gc.responseModalities : [];
  for (const m of modalities) {
    if (typeof m === "string" && m.toUpperCase() !== "TEXT") {
      h.unpriced.push(`generationConfig.responseModalities: ${m} output (no price in the guard; ask for ["TEXT"])`);
    }
  }
  if (gc.speechConfig !== undefined) h.unpriced.push("generationConfig.speechConfig: speech output (no price in the guard)");
  return h;
}
