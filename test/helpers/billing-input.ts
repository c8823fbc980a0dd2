/**
 * The billing double's input meter: walks a request body the way the
 * provider's documentation says it bills it (text, per-message framing,
 * images by their true size, PDF pages, audio seconds, tool definitions,
 * cache breakpoints). Independent of src/tokens: it reads the truth about a
 * medium from the registry the test filled (billing-media.ts).
 */
import { anthropicImageTokens, AUDIO_TOKENS_PER_SECOND, mediumOf, openaiImageTokens, PDF_PAGE_TOKENS, type Medium } from "./billing-media";
import { audioRate, emptyUsage, textTokens, type BilledUsage } from "./billing-meter";

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** A request the provider refuses before doing any work (it bills nothing). */
export class ProviderRefusal extends Error {
  constructor(
    message: string,
    readonly param: string | null = null,
    readonly status = 400,
  ) {
    super(message);
  }
}

/** Input as the provider meters it, before context and caching are applied. */
export interface MeteredInput {
  texts: string[];
  /** Framing, images and PDF pages, already in tokens. */
  fixed: number;
  audioTokens: number;
  /** Anthropic cache breakpoints: tokens up to each, with its TTL. */
  breakpoints: { texts: string[]; fixed: number; ttl: "5m" | "1h" }[];
}

function known(ref: string, what: string): Medium {
  const m = mediumOf(ref);
  if (!m) throw new Error(`billing double: the test did not register ${what} ${ref.slice(0, 60)}`);
  return m;
}

function pages(ref: string): number {
  const m = known(ref, "file");
  if (m.kind !== "pdf") throw new ProviderRefusal(`${ref.slice(0, 40)} is not a PDF`);
  return m.pages * PDF_PAGE_TOKENS;
}

/** One OpenAI content part (chat or Responses). */
function openaiPart(model: string, part: unknown, into: MeteredInput, path: string): void {
  if (typeof part === "string") return void into.texts.push(part);
  if (!isObj(part)) return;
  switch (part.type) {
    case "text":
    case "input_text":
    case "output_text":
      if (typeof part.text === "string") into.texts.push(part.text);
      return;
    case "image_url":
    case "input_image": {
      const ref = isObj(part.image_url) ? part.image_url.url : (part.image_url ?? part.file_id);
      const detail = String((isObj(part.image_url) ? part.image_url.detail : part.detail) ?? "auto");
      // A remote image the test did not describe: the provider fetches it; assume the largest it accepts.
      const m = typeof ref === "string" ? (mediumOf(ref) ?? { kind: "image", width: 2048, height: 2048 }) : null;
      if (m?.kind !== "image") throw new ProviderRefusal(`${path}: not an image`);
      into.fixed += openaiImageTokens(model, m.width, m.height, detail);
      return;
    }
    case "file":
    case "input_file": {
      const f = isObj(part.file) ? part.file : part;
      const ref = f.file_data ?? f.file_id ?? f.file_url;
      if (typeof ref !== "string") throw new ProviderRefusal(`${path}: a file part needs file_data, file_id or file_url`, path);
      into.fixed += pages(ref);
      return;
    }
    case "input_audio": {
      const a = isObj(part.input_audio) ? part.input_audio : part;
      if (audioRate(model) === undefined) throw new ProviderRefusal(`${model} does not support audio input`, path);
      const m = known(String(a.data), "audio");
      if (m.kind !== "audio") throw new ProviderRefusal(`${path}: not audio`);
      into.audioTokens += m.seconds * AUDIO_TOKENS_PER_SECOND;
      return;
    }
    case "refusal":
      if (typeof part.refusal === "string") into.texts.push(part.refusal);
      return;
    default:
      throw new ProviderRefusal(`${path}: unknown content part type ${String(part.type)}`, path);
  }
}

function openaiContent(model: string, content: unknown, into: MeteredInput, path: string): void {
  if (typeof content === "string") into.texts.push(content);
  else if (Array.isArray(content)) content.forEach((p, i) => openaiPart(model, p, into, `${path}[${i}]`));
}

/** Chat completions: 3 tokens a message, 1 per name, 3 to prime the reply (OpenAI's counting recipe). */
export function chatInputMeter(model: string, body: Json): MeteredInput {
  const into: MeteredInput = { texts: [], fixed: 3, audioTokens: 0, breakpoints: [] };
  const messages = Array.isArray(body.messages) ? body.messages : [];
  messages.forEach((m, i) => {
    if (!isObj(m)) return;
    into.fixed += 3;
    into.texts.push(String(m.role));
    if (typeof m.name === "string") {
      into.texts.push(m.name);
      into.fixed += 1;
    }
    openaiContent(model, m.content, into, `messages[${i}].content`);
    if (m.tool_calls !== undefined) into.texts.push(JSON.stringify(m.tool_calls));
  });
  if (body.tools !== undefined) into.texts.push(JSON.stringify(body.tools));
  if (body.response_format !== undefined) into.texts.push(JSON.stringify(body.response_format));
  return into;
}

/** Responses: instructions, input items, tools. */
export function responsesInputMeter(model: string, body: Json): MeteredInput {
  const into: MeteredInput = { texts: [], fixed: 3, audioTokens: 0, breakpoints: [] };
  if (typeof body.instructions === "string") into.texts.push(body.instructions);
  const input = typeof body.input === "string" ? [{ role: "user", content: body.input }] : Array.isArray(body.input) ? body.input : [];
  input.forEach((item, i) => {
    into.fixed += 3;
    if (typeof item === "string") return void into.texts.push(item);
    if (!isObj(item)) return;
    if (typeof item.role === "string") into.texts.push(item.role);
    openaiContent(model, item.content, into, `input[${i}].content`);
    for (const k of ["arguments", "output"] as const) if (typeof item[k] === "string") into.texts.push(item[k] as string);
  });
  if (body.tools !== undefined) into.texts.push(JSON.stringify(body.tools));
  if (body.text !== undefined) into.texts.push(JSON.stringify(body.text));
  return into;
}

/** Embeddings: the strings, or token arrays as they are. */
export function embeddingsInputMeter(body: Json): MeteredInput {
  const into: MeteredInput = { texts: [], fixed: 0, audioTokens: 0, breakpoints: [] };
  const input = body.input;
  const items = Array.isArray(input) && input.length > 0 && typeof input[0] !== "number" ? input : [input];
  for (const item of items) {
    if (typeof item === "string") into.texts.push(item);
    else if (Array.isArray(item)) into.fixed += item.length;
  }
  return into;
}

/** The tool-use system prompt Anthropic adds when tools are present (Claude 4 models, tool_choice auto). */
const ANTHROPIC_TOOL_PROMPT = 346;

/** Anthropic Messages: text, images by formula, documents by pages, tool blocks as JSON, cache breakpoints. */
export function messagesInputMeter(body: Json): MeteredInput {
  const into: MeteredInput = { texts: [], fixed: 3, audioTokens: 0, breakpoints: [] };
  const mark = (block: Json) => {
    const cc = block.cache_control;
    if (isObj(cc)) into.breakpoints.push({ texts: [...into.texts], fixed: into.fixed, ttl: cc.ttl === "1h" ? "1h" : "5m" });
  };
  if (Array.isArray(body.tools) && body.tools.length > 0) {
    into.fixed += ANTHROPIC_TOOL_PROMPT;
    for (const t of body.tools) {
      into.texts.push(JSON.stringify(t));
      if (isObj(t)) mark(t);
    }
  }
  const block = (b: unknown, path: string): void => {
    if (typeof b === "string") return void into.texts.push(b);
    if (!isObj(b)) return;
    switch (b.type) {
      case "text":
        into.texts.push(String(b.text));
        break;
      case "image": {
        const src = isObj(b.source) ? b.source : {};
        const ref = String(src.data ?? src.url ?? src.file_id);
        const m = mediumOf(ref) ?? { kind: "image", width: 1568, height: 1568 };
        if (m.kind !== "image") throw new ProviderRefusal(`${path}: not an image`);
        into.fixed += anthropicImageTokens(m.width, m.height);
        break;
      }
      case "document": {
        const src = isObj(b.source) ? b.source : {};
        if (src.type === "text") into.texts.push(String(src.data));
        else into.fixed += pages(String(src.data ?? src.url ?? src.file_id));
        break;
      }
      case "tool_use":
        into.texts.push(JSON.stringify(b.input ?? {}));
        break;
      case "tool_result":
        if (typeof b.content === "string") into.texts.push(b.content);
        else if (Array.isArray(b.content)) b.content.forEach((c, i) => block(c, `${path}.content[${i}]`));
        break;
      case "thinking":
        into.texts.push(String(b.thinking ?? ""));
        break;
      default:
        throw new ProviderRefusal(`${path}: unknown content block type ${String(b.type)}`, path);
    }
    mark(b);
  };
  if (Array.isArray(body.system)) body.system.forEach((b, i) => block(b, `system[${i}]`));
  else if (typeof body.system === "string") into.texts.push(body.system);
  const messages = Array.isArray(body.messages) ? body.messages : [];
  messages.forEach((m, i) => {
    if (!isObj(m)) return;
    into.fixed += 3;
    if (typeof m.content === "string") into.texts.push(m.content);
    else if (Array.isArray(m.content)) m.content.forEach((b, j) => block(b, `messages[${i}].content[${j}]`));
  });
  return into;
}

/** Turns metered input into billed input tokens; Anthropic cache breakpoints become cache writes by TTL. */
export async function billInput(model: string, m: MeteredInput): Promise<BilledUsage> {
  const u = emptyUsage();
  const total = (await textTokens(model, m.texts)) + m.fixed;
  let written = 0;
  for (const bp of m.breakpoints) {
    // A fresh cache: everything up to a breakpoint not already written is written now, at that breakpoint's TTL.
    const upTo = (await textTokens(model, bp.texts)) + bp.fixed;
    const fresh = Math.max(0, upTo - written);
    if (bp.ttl === "1h") u.cacheWrite1hTokens += fresh;
    else u.cacheWrite5mTokens += fresh;
    written = Math.max(written, upTo);
  }
  u.inputTokens = Math.max(0, total - written);
  u.audioInputTokens = m.audioTokens;
  return u;
}
