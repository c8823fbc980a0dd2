/**
 * Billing hints: what a request body says about how the call can be billed
 * beyond its text — choices, built-in tool calls (and the content they add to
 * the input), the service tier, the prompt-cache TTL — read before the call is
 * forwarded so the reservation covers it (DESIGN "Cost ceilings").
 *
 * Built-in tools are bounded by the request's own limits (`max_uses` on a
 * Claude web tool, `max_tool_calls` on a Responses call). Where the request
 * sets none, the guard sets one in the forwarded body (`rewrite`), so a
 * client that did not think about it still gets a call with a ceiling.
 *
 * Content bounds (input the provider adds that the body does not show). No
 * provider documents an upper bound on search-result content. OpenAI bills a
 * fixed 8,000 input tokens per search on gpt-4o-mini / gpt-4.1-mini (its
 * pricing page), and a typical fetched page is ~2,500 tokens; the guard
 * chooses 25,000 tokens per search (about ten full pages) as a conservative
 * bound. Claude's web fetch is bounded by `max_content_tokens` (set to 25,000
 * when absent). OpenAI file search returns at most `max_num_results` chunks
 * (≤ 50) of at most 4,096 tokens. Code-interpreter output per call is bounded
 * at the same chosen 25,000 tokens; Claude's code execution has no call limit,
 * so its output is unbounded. A server-run tool call also makes the provider
 * read the context again for the next step: `inputPasses` is that bound
 * (1 + the tool calls), for the ledger to multiply the prompt by if it wants
 * the strict worst case.
 */
import { lookupModel } from "../pricing/cost";
import { toolFeesFor } from "../pricing/tools";
import { geminiHints } from "./dialects/gemini-billing";
import type { RouteKind } from "./providers/types";

/** Searches per call the guard allows when a Claude web tool sets no `max_uses`. */
export const DEFAULT_MAX_USES = 5;
/** Built-in tool calls per response the guard allows when a Responses call sets no `max_tool_calls`. */
export const DEFAULT_MAX_TOOL_CALLS = 5;
/** Chosen bound on the tokens one search (or one code-interpreter run) adds to the input (see header). */
export const SEARCH_CONTENT_TOKENS = 25_000;
/** Tokens one Claude web fetch adds when the request sets no `max_content_tokens` (the guard sets this). */
export const DEFAULT_FETCH_CONTENT_TOKENS = 25_000;
/** OpenAI file search: largest chunk (static chunking) and most results per call. */
const FILE_CHUNK_TOKENS = 4096;
const FILE_MAX_RESULTS = 50;

/** What the body says about billing, for the ReserveRequest. */
export interface BillingHints {
  /** Completions the call generates (chat `n`); the output cap is reserved this many times. */
  choices: number;
  /** Bounded built-in tool units by fee key (pricing/tools.ts). */
  toolCalls: Record<string, number>;
  /** `service_tier` asked for (`"fast"` for Claude `speed: "fast"`), or null. */
  serviceTier: string | null;
  /** Longest prompt-cache TTL marked anywhere, or null. */
  cacheTtl: "5m" | "1h" | null;
  /** Parts the guard cannot bound, "json.path: why" (→ unbounded_input unless maxRequestUsd). */
  unbounded: string[];
  /** Billed units with no price, "json.path: what" (→ 400 unpriced_unit). */
  unpriced: string[];
  /** Input the provider adds that the body does not show (tool results), at its bound. */
  extraInputTokens: number;
  /** Times the provider may read the input: one more per server-run tool call. */
  inputPasses: number;
  /** Sets the limits the guard chose on the forwarded body; absent when nothing needs setting. */
  rewrite?: (body: Record<string, unknown>) => Record<string, unknown>;
}

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const posInt = (v: unknown): number | null => (typeof v === "number" && Number.isInteger(v) && v >= 0 ? v : null);

/** Client-executed OpenAI tool types: no provider fee, their results come back in a later request. */
const OPENAI_CLIENT_TOOLS = new Set(["function", "custom", "local_shell", "shell", "apply_patch", "computer_use_preview", "computer_use"]);
/** Client-executed Claude tool types (versioned): bash, text editor, computer use, memory. */
const CLAUDE_CLIENT_TOOL = /^(bash|text_editor|computer|memory)_\d{8}$/;
const CLAUDE_SERVER_TOOL = /^(web_search|web_fetch|code_execution)_(\d{8})$/;
/** Claude web tool versions from which code execution in the same request is free (code-execution page). */
const FREE_CODE_FROM = "20260209";

/** Longest `cache_control` TTL in `roots`, walked without recursion (nesting depth is checked elsewhere). */
function cacheTtlOf(roots: unknown[]): "5m" | "1h" | null {
  let ttl: "5m" | "1h" | null = null;
  const stack = [...roots];
  while (stack.length > 0) {
    const v = stack.pop();
    if (Array.isArray(v)) stack.push(...v);
    else if (isObj(v)) {
      const cc = v.cache_control;
      if (isObj(cc) && cc.type === "ephemeral") {
        if (cc.ttl === "1h") return "1h";
        ttl = "5m";
      }
      for (const [k, child] of Object.entries(v)) if (k !== "cache_control" && typeof child === "object") stack.push(child);
    }
  }
  return ttl;
}

function empty(): BillingHints {
  return { choices: 1, toolCalls: {}, serviceTier: null, cacheTtl: null, unbounded: [], unpriced: [], extraInputTokens: 0, inputPasses: 1 };
}

/** Claude Messages: server tools bounded by `max_uses`, tier or fast mode, cache TTLs. */
function messagesHints(body: Json): BillingHints {
  const h = empty();
  h.serviceTier = body.speed === "fast" ? "fast" : typeof body.service_tier === "string" ? body.service_tier : null;
  // Top-level `cache_control` (automatic caching) is walked as the body's own field.
  h.cacheTtl = cacheTtlOf([{ cache_control: body.cache_control }, body.system, body.messages, body.tools]);
  if (body.mcp_servers !== undefined) h.unbounded.push("mcp_servers: remote MCP tool output is added to the input; the guard cannot bound it");
  const tools = Array.isArray(body.tools) ? body.tools : [];
  const edits = new Map<number, Json>();
  const versions = tools.map((t) => (isObj(t) && typeof t.type === "string" ? CLAUDE_SERVER_TOOL.exec(t.type) : null));
  const freeCode = versions.some((m) => m !== null && m[1] !== "code_execution" && m[2]! >= FREE_CODE_FROM);
  tools.forEach((t, i) => {
    if (!isObj(t)) return;
    const type = typeof t.type === "string" ? t.type : "custom";
    if (type === "custom" || CLAUDE_CLIENT_TOOL.test(type)) return;
    const m = versions[i];
    if (!m) {
      h.unpriced.push(`tools[${i}]: server tool "${type}" (no fee is known for it; remove it or use a tool the guard prices)`);
      return;
    }
    const kind = m[1]!;
    if (kind === "code_execution") {
      h.toolCalls[freeCode ? "code_execution_with_web" : "code_execution"] = 1;
      h.unbounded.push(`tools[${i}]: code execution output is added to the input with no limit on the number of runs`);
      return;
    }
    let uses = posInt(t.max_uses);
    const edit: Json = {};
    if (uses === null) {
      uses = DEFAULT_MAX_USES;
      edit.max_uses = uses;
    }
    h.toolCalls[kind] = (h.toolCalls[kind] ?? 0) + uses;
    h.inputPasses += uses;
    if (kind === "web_search") h.extraInputTokens += uses * SEARCH_CONTENT_TOKENS;
    else {
      let perFetch = posInt(t.max_content_tokens);
      if (perFetch === null) {
        perFetch = DEFAULT_FETCH_CONTENT_TOKENS;
        edit.max_content_tokens = perFetch;
      }
      h.extraInputTokens += uses * perFetch;
    }
    if (Object.keys(edit).length > 0) edits.set(i, edit);
  });
  // Dynamic filtering runs code inside the web tools: free, its output already within the search bound.
  if (freeCode && h.toolCalls.code_execution_with_web === undefined) h.toolCalls.code_execution_with_web = 1;
  if (edits.size > 0) {
    h.rewrite = (b) => ({
      ...b,
      tools: (Array.isArray(b.tools) ? b.tools : []).map((t, i) => (edits.has(i) && isObj(t) ? { ...t, ...edits.get(i) } : t)),
    });
  }
  return h;
}

/** Fee key of a Responses built-in tool, or null for a client tool; undefined when unknown. */
function responsesToolKey(t: Json): string | null | undefined {
  const type = typeof t.type === "string" ? t.type : "";
  if (OPENAI_CLIENT_TOOLS.has(type)) return null;
  if (/^web_search_preview(_\d{4}_\d{2}_\d{2})?$/.test(type)) return "web_search_preview";
  if (/^web_search(_\d{4}_\d{2}_\d{2})?$/.test(type)) return "web_search";
  if (type === "file_search") return "file_search";
  if (type === "code_interpreter") {
    const c = t.container;
    const mem = isObj(c) && typeof c.memory_limit === "string" ? c.memory_limit : "1g";
    return mem === "1g" ? "code_interpreter" : `code_interpreter_${mem}`;
  }
  return undefined;
}

/** Responses: built-in tools bounded by `max_tool_calls` (across all of them, per OpenAI), tier. */
function responsesHints(body: Json): BillingHints {
  const h = empty();
  h.unpriced.push(...unpricedAudio(body, "input"));
  h.serviceTier = typeof body.service_tier === "string" ? body.service_tier : null;
  const tools = Array.isArray(body.tools) ? body.tools : [];
  const info = typeof body.model === "string" ? lookupModel(body.model) : undefined;
  const fees = toolFeesFor(info?.provider ?? "openai", info?.hiddenReasoning ?? false);
  const perCall: { key: string; content: number }[] = [];
  tools.forEach((t, i) => {
    if (!isObj(t)) return;
    const key = responsesToolKey(t);
    if (key === null) return;
    if (key === undefined) {
      const type = String(t.type);
      if (type === "mcp") h.unbounded.push(`tools[${i}]: remote MCP tool output is added to the input; the guard cannot bound it`);
      else h.unpriced.push(`tools[${i}]: built-in tool "${type}" (no fee is known for it; remove it or use a tool the guard prices)`);
      return;
    }
    if (key.startsWith("code_interpreter")) {
      // Containers are billed, not calls: one per response (an "auto" container is created per response).
      h.toolCalls[key] = 1;
      perCall.push({ key, content: SEARCH_CONTENT_TOKENS });
    } else if (key === "file_search") {
      perCall.push({ key, content: (posInt(t.max_num_results) ?? FILE_MAX_RESULTS) * FILE_CHUNK_TOKENS });
    } else perCall.push({ key, content: SEARCH_CONTENT_TOKENS });
  });
  if (perCall.length === 0) return h;
  let n = posInt(body.max_tool_calls);
  if (n === null) {
    n = DEFAULT_MAX_TOOL_CALLS;
    const limit = n;
    h.rewrite = (b) => ({ ...b, max_tool_calls: limit });
  }
  // At most n calls in all: bound the fees at n of the dearest per-call tool, the content at n of the largest.
  const billed = perCall.filter((p) => !p.key.startsWith("code_interpreter"));
  if (billed.length > 0) {
    const dearest = billed.reduce((a, b) => ((fees[b.key] ?? 0) > (fees[a.key] ?? 0) ? b : a));
    h.toolCalls[dearest.key] = n;
  }
  h.extraInputTokens = n * Math.max(...perCall.map((p) => p.content));
  h.inputPasses = 1 + n;
  return h;
}

/**
 * Audio parts sent to a table model that has no audio price: refused up front, whatever the
 * audio's size (the ledger refuses the same for a tenant price without audioInput).
 */
function unpricedAudio(body: Json, field: "messages" | "input"): string[] {
  const model = typeof body.model === "string" ? body.model : "";
  const info = lookupModel(model);
  if (!info || info.price.audioInput !== undefined) return [];
  const out: string[] = [];
  const items = Array.isArray(body[field]) ? (body[field] as unknown[]) : [];
  items.forEach((m, i) => {
    const content = isObj(m) && Array.isArray(m.content) ? m.content : [];
    content.forEach((p, j) => {
      if (isObj(p) && p.type === "input_audio") {
        out.push(`${field}[${i}].content[${j}]: audio input on ${model} (the model has no audio price; send audio to an audio model such as gpt-4o-audio-preview)`);
      }
    });
  });
  return out;
}

/** Chat completions: `n` choices; search and audio-output options bill units the guard does not price. */
function chatHints(body: Json): BillingHints {
  const h = empty();
  h.unpriced.push(...unpricedAudio(body, "messages"));
  const n = posInt(body.n);
  h.choices = n !== null && n >= 1 ? n : 1;
  h.serviceTier = typeof body.service_tier === "string" ? body.service_tier : null;
  if (body.web_search_options !== undefined) {
    h.unpriced.push("web_search_options: chat web search bills a per-call fee the guard does not price; use the Responses web_search tool");
  }
  if (Array.isArray(body.modalities) && body.modalities.includes("audio")) {
    h.unpriced.push('modalities: audio output has no price in the guard; ask for ["text"]');
  }
  return h;
}

/** The billing hints of a request body on `route`. */
export function billingHints(route: RouteKind, body: Record<string, unknown>): BillingHints {
  switch (route) {
    case "chat":
      return chatHints(body);
    case "responses":
      return responsesHints(body);
    case "messages":
      return messagesHints(body);
    case "generateContent":
      return geminiHints(body);
    case "embeddings":
    case "embedContent":
      return empty();
  }
}
