/**
 * The text a request sends as input, per route, plus the framing the
 * provider adds around it (per-message role markers, reply priming). Both
 * tiers count the same pieces: the fast bound on every request, the exact
 * tokenizer only where the bound would change the decision.
 */
import type { Encoding } from "../pricing/types";
import { estimateTokensUpperBound } from "./estimate";
import { countTokensExact } from "./exact";
import { walkContent, type PartRules } from "./parts/content";
import { ANTHROPIC_IMAGE, openAiImageFormulas } from "./parts/images";

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

/**
 * Anthropic adds a tool-use system prompt whenever `tools` is set: 159-530 tokens depending
 * on the model and tool_choice (530 for Claude 3 Opus with "auto", 346/313 on the Claude 4
 * generation), per "Tool use pricing and tokens"
 * (https://platform.claude.com/docs/en/agents-and-tools/tool-use/overview#pricing). The bound
 * takes the largest documented figure.
 */
export const ANTHROPIC_TOOL_SYSTEM_PROMPT = 530;

function isRecord(v: Json): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function collectTools(tools: Json, out: InputPieces): void {
  if (tools !== undefined && tools !== null) out.texts.push(JSON.stringify(tools));
}

/** The rules for an OpenAI-dialect body: image formulas of the model it names. */
function openAiRules(body: Record<string, unknown>): PartRules {
  return { images: openAiImageFormulas(typeof body.model === "string" ? body.model : "") };
}
const ANTHROPIC_RULES: PartRules = { images: [ANTHROPIC_IMAGE] };

/** OpenAI chat completions input. */
export function chatInput(body: Record<string, unknown>): InputPieces {
  const out: InputPieces = { texts: [], fixedTokens: REPLY_PRIMING, audioTokens: 0, unbounded: [] };
  const rules = openAiRules(body);
  const messages = Array.isArray(body.messages) ? body.messages : [];
  messages.forEach((m, i) => {
    if (!isRecord(m)) return;
    out.fixedTokens += PER_MESSAGE;
    if (typeof m.role === "string") out.texts.push(m.role);
    if (typeof m.name === "string") out.texts.push(m.name);
    walkContent(m.content, `messages[${i}].content`, rules, out);
    if (isRecord(m.audio) && typeof m.audio.id === "string") {
      out.unbounded.push(`messages[${i}].audio: a previous audio response by id (the guard cannot see its length)`);
    }
    if (m.tool_calls !== undefined) out.texts.push(JSON.stringify(m.tool_calls));
    if (m.function_call !== undefined) out.texts.push(JSON.stringify(m.function_call));
  });
  collectTools(body.tools, out);
  collectTools(body.functions, out);
  if (body.response_format !== undefined) out.texts.push(JSON.stringify(body.response_format));
  return out;
}

/** Responses items that are records of earlier calls, self-contained: counted as their JSON. */
const RESPONSES_RECORD_ITEMS = new Set([
  "function_call",
  "custom_tool_call",
  "web_search_call",
  "file_search_call",
  "computer_call",
  "code_interpreter_call",
  "image_generation_call",
  "local_shell_call",
  "shell_call",
  "apply_patch_call",
  "mcp_call",
  "mcp_list_tools",
  "mcp_approval_request",
  "mcp_approval_response",
]);

/** One Responses input item at `path`. */
function responsesItem(item: Record<string, unknown>, path: string, rules: PartRules, out: InputPieces): void {
  const type = item.type;
  if (type === undefined || type === "message") {
    if (typeof item.role === "string") out.texts.push(item.role);
    walkContent(item.content, `${path}.content`, rules, out);
  } else if (typeof type === "string" && type.endsWith("_output")) {
    // function_call_output, custom_tool_call_output, computer_call_output...: a string, parts, or one image.
    const output = item.output;
    if (typeof output === "string" || Array.isArray(output)) walkContent(output, `${path}.output`, rules, out);
    else if (isRecord(output)) walkContent([{ ...output, type: "input_image" }], `${path}.output`, rules, out);
    if (typeof item.call_id === "string") out.texts.push(item.call_id);
  } else if (type === "reasoning") {
    walkContent(item.summary, `${path}.summary`, rules, out);
    walkContent(item.content, `${path}.content`, rules, out);
    if (typeof item.encrypted_content === "string") out.texts.push(item.encrypted_content);
  } else if (type === "item_reference") {
    out.unbounded.push(`${path}: item_reference to a stored item (the guard cannot see its size)`);
  } else if (typeof type === "string" && RESPONSES_RECORD_ITEMS.has(type)) {
    out.texts.push(JSON.stringify(item));
  } else {
    out.unbounded.push(`${path}: input item of type ${JSON.stringify(type)} (not a type the guard can bound)`);
  }
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
    const rules = openAiRules(body);
    input.forEach((item, i) => {
      out.fixedTokens += PER_MESSAGE;
      if (isRecord(item)) responsesItem(item, `input[${i}]`, rules, out);
      else if (typeof item === "string") out.texts.push(item);
    });
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
  walkContent(body.system, "system", ANTHROPIC_RULES, out);
  const messages = Array.isArray(body.messages) ? body.messages : [];
  messages.forEach((m, i) => {
    if (!isRecord(m)) return;
    out.fixedTokens += PER_MESSAGE;
    walkContent(m.content, `messages[${i}].content`, ANTHROPIC_RULES, out);
  });
  collectTools(body.tools, out);
  if (Array.isArray(body.tools) && body.tools.length > 0) out.fixedTokens += ANTHROPIC_TOOL_SYSTEM_PROMPT;
  return out;
}

/**
 * Whether an encoding only approximates the provider's tokenizer (Claude, Gemini): counts are
 * cl100k scaled by CLAUDE_FACTOR, an upper bound but never an exact measure of what is billed.
 * Gemini's SentencePiece vocabulary (256k pieces) splits prose into no more pieces than cl100k
 * does, so the same factor keeps its bound conservative.
 */
export function isApproximate(encoding: Encoding): encoding is "claude_approx" | "gemini_approx" {
  return encoding === "claude_approx" || encoding === "gemini_approx";
}

/** The tiktoken encoding an encoding is counted with. */
export function exactEncodingOf(encoding: Encoding): "o200k_base" | "cl100k_base" {
  return isApproximate(encoding) ? "cl100k_base" : encoding;
}

/** The fast, conservative upper bound on input tokens. */
export function fastInputTokens(p: InputPieces, encoding: Encoding): number {
  let n = p.fixedTokens;
  for (const t of p.texts) n += estimateTokensUpperBound(t);
  return isApproximate(encoding) ? Math.ceil(n * CLAUDE_FACTOR) : n;
}

/** The exact count (js-tiktoken), or the documented approximation for Claude and Gemini. */
export async function exactInputTokens(p: InputPieces, encoding: Encoding): Promise<number> {
  const enc = exactEncodingOf(encoding);
  let n = 0;
  for (const t of p.texts) n += await countTokensExact(t, enc);
  return isApproximate(encoding) ? Math.ceil((n + p.fixedTokens) * CLAUDE_FACTOR) : n + p.fixedTokens;
}
