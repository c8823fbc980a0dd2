/**
 * The text a request sends as input, per route, plus the framing the
 * provider adds around it (per-message role markers, reply priming). Both
 * tiers count the same pieces: the fast bound on every request, the exact
 * tokenizer only where the bound would change the decision.
 */
import type { Encoding } from "../pricing/types";
import { estimateTokensUpperBound } from "./estimate";
import { countTokensExact } from "./exact";

/** Tokens an image may cost; a documented upper bound (a high-detail 2048px image costs ~1,100 on GPT-4o, ~1,600 on Claude). */
export const IMAGE_TOKENS = 1600;
/** OpenAI chat framing: ~3 tokens per message (role and separators), 1 per name, 3 to prime the reply. */
const PER_MESSAGE = 4;
const REPLY_PRIMING = 3;
/** Claude's tokenizer is not public: we count with cl100k and scale by 1.4, above the ~30% more tokens the Claude 4.7+ tokenizer is documented to produce, so the bound stays conservative. */
const CLAUDE_FACTOR = 1.4;

/** Input as pieces of text plus tokens that need no counting. */
export interface InputPieces {
  texts: string[];
  /** Framing, images, files and pre-tokenized input. */
  fixedTokens: number;
  /** Audio input tokens (bounded from the bytes), priced apart from text. */
  audioTokens: number;
  /** Parts the guard cannot bound, each as "path: why" (a remote file_id, an unknown part type). */
  unbounded: string[];
}

type Json = unknown;

function isRecord(v: Json): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Collects text from OpenAI/Anthropic content: a string, or parts with text, images, tool data. */
function collectContent(content: Json, out: InputPieces): void {
  if (typeof content === "string") {
    out.texts.push(content);
    return;
  }
  if (!Array.isArray(content)) return;
  for (const part of content) {
    if (typeof part === "string") {
      out.texts.push(part);
      continue;
    }
    if (!isRecord(part)) continue;
    const type = part.type;
    if (type === "image_url" || type === "image" || type === "input_image") {
      out.fixedTokens += IMAGE_TOKENS;
      continue;
    }
    if (typeof part.text === "string") out.texts.push(part.text);
    // Tool results and other structured parts: count whatever they carry as JSON, an over-count by design.
    if (part.content !== undefined) collectContent(part.content, out);
    if (part.input !== undefined) out.texts.push(JSON.stringify(part.input));
    if (typeof part.arguments === "string") out.texts.push(part.arguments);
    if (typeof part.output === "string") out.texts.push(part.output);
  }
}

function collectTools(tools: Json, out: InputPieces): void {
  if (tools !== undefined && tools !== null) out.texts.push(JSON.stringify(tools));
}

/** OpenAI chat completions input. */
export function chatInput(body: Record<string, unknown>): InputPieces {
  const out: InputPieces = { texts: [], fixedTokens: REPLY_PRIMING, audioTokens: 0, unbounded: [] };
  const messages = Array.isArray(body.messages) ? body.messages : [];
  for (const m of messages) {
    if (!isRecord(m)) continue;
    out.fixedTokens += PER_MESSAGE;
    if (typeof m.role === "string") out.texts.push(m.role);
    if (typeof m.name === "string") out.texts.push(m.name);
    collectContent(m.content, out);
    if (m.tool_calls !== undefined) out.texts.push(JSON.stringify(m.tool_calls));
    if (m.function_call !== undefined) out.texts.push(JSON.stringify(m.function_call));
  }
  collectTools(body.tools, out);
  collectTools(body.functions, out);
  if (body.response_format !== undefined) out.texts.push(JSON.stringify(body.response_format));
  return out;
}

/** OpenAI Responses API input. */
export function responsesInput(body: Record<string, unknown>): InputPieces {
  const out: InputPieces = { texts: [], fixedTokens: REPLY_PRIMING, audioTokens: 0, unbounded: [] };
  if (typeof body.instructions === "string") out.texts.push(body.instructions);
  const input = body.input;
  if (typeof input === "string") {
    out.fixedTokens += PER_MESSAGE;
    out.texts.push(input);
  } else if (Array.isArray(input)) {
    for (const item of input) {
      out.fixedTokens += PER_MESSAGE;
      if (!isRecord(item)) continue;
      if (typeof item.role === "string") out.texts.push(item.role);
      collectContent(item.content, out);
      if (typeof item.arguments === "string") out.texts.push(item.arguments);
      if (typeof item.output === "string") out.texts.push(item.output);
    }
  }
  collectTools(body.tools, out);
  if (isRecord(body.text)) out.texts.push(JSON.stringify(body.text));
  return out;
}

/** OpenAI embeddings input: strings, or token arrays counted as they are. */
export function embeddingsInput(body: Record<string, unknown>): InputPieces {
  const out: InputPieces = { texts: [], fixedTokens: 0, audioTokens: 0, unbounded: [] };
  const input = body.input;
  const items = Array.isArray(input) && input.length > 0 && typeof input[0] !== "number" ? input : [input];
  for (const item of items) {
    if (typeof item === "string") out.texts.push(item);
    else if (Array.isArray(item)) out.fixedTokens += item.length;
  }
  return out;
}

/** Anthropic Messages input. */
export function messagesInput(body: Record<string, unknown>): InputPieces {
  const out: InputPieces = { texts: [], fixedTokens: REPLY_PRIMING, audioTokens: 0, unbounded: [] };
  collectContent(body.system, out);
  const messages = Array.isArray(body.messages) ? body.messages : [];
  for (const m of messages) {
    if (!isRecord(m)) continue;
    out.fixedTokens += PER_MESSAGE;
    collectContent(m.content, out);
  }
  collectTools(body.tools, out);
  return out;
}

/** The fast, conservative upper bound on input tokens. */
export function fastInputTokens(p: InputPieces, encoding: Encoding): number {
  let n = p.fixedTokens;
  for (const t of p.texts) n += estimateTokensUpperBound(t);
  return encoding === "claude_approx" ? Math.ceil(n * CLAUDE_FACTOR) : n;
}

/** The exact count (js-tiktoken), or the documented approximation for Claude. */
export async function exactInputTokens(p: InputPieces, encoding: Encoding): Promise<number> {
  const enc = encoding === "claude_approx" ? "cl100k_base" : encoding;
  let n = 0;
  for (const t of p.texts) n += await countTokensExact(t, enc);
  return encoding === "claude_approx" ? Math.ceil((n + p.fixedTokens) * CLAUDE_FACTOR) : n + p.fixedTokens;
}
