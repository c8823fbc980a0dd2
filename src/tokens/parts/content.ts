/**
 * Walks the content parts of a request (OpenAI chat and Responses, Anthropic Messages) and
 * adds each one's bound to the input pieces: text to count, fixed tokens for images and
 * files, audio tokens, and an `unbounded` entry for anything the guard cannot bound.
 */
import type { InputPieces } from "../inputs";
import { audioSeconds, audioTokens } from "./audio";
import { base64DecodedLength, decodeBase64Binary, parseDataUrl } from "./base64";
import { Base64Reader } from "./base64-reader";
import { looksLikePdf, pdfTokens, plainText } from "./files";
import { imageDims, imageTokens, type ImageFormula } from "./images";

/** How one request's parts are priced. */
export interface PartRules {
  /** The image formulas of the model the request names. */
  images: readonly ImageFormula[];
}

/** Content nested deeper than this (tool results inside tool results...) is not walked. */
const MAX_CONTENT_DEPTH = 32;

type Part = Record<string, unknown>;

function isRecord(v: unknown): v is Part {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

/** Tokens of one image given inline as base64 (header read from its first bytes) or by reference (null: the maximum). */
export function imagePartTokens(rules: PartRules, base64: string | null, detail: string | undefined): number {
  const reader = base64 === null ? null : Base64Reader.of(base64);
  return imageTokens(rules.images, reader === null ? null : imageDims(reader), detail);
}

/** The largest image a PDF page can become, for the page term of a PDF's bound. */
function pageImageTokens(rules: PartRules): number {
  return imageTokens(rules.images, null, "high");
}

/**
 * An inline file (base64, with an optional media type or file name): a PDF is bounded by its
 * pages, plain text is counted as text, anything else (Office files, archives...) is
 * unbounded: what the provider extracts from it cannot be seen from the bytes.
 */
function inlineFile(base64: string, mediaType: string | undefined, filename: string | undefined, path: string, rules: PartRules, out: InputPieces): void {
  const binary = decodeBase64Binary(base64);
  if (binary === null) {
    out.unbounded.push(`${path}: file data that is not valid base64 (the guard cannot read its size)`);
    return;
  }
  const pdf = mediaType === "application/pdf" || /\.pdf$/i.test(filename ?? "") || looksLikePdf(binary);
  if (pdf) {
    out.fixedTokens += pdfTokens(binary, pageImageTokens(rules));
    return;
  }
  const text = plainText(binary);
  if (text !== null) out.texts.push(text);
  else out.unbounded.push(`${path}: ${mediaType ?? "binary"} file (the guard can bound only PDF and plain-text files)`);
}

/** An inline audio clip (base64) in `format`. */
function inlineAudio(base64: string, format: string | undefined, out: InputPieces): void {
  const reader = Base64Reader.of(base64);
  const seconds = reader === null ? base64DecodedLength(base64) / 1_000 : audioSeconds(reader, format);
  out.audioTokens += audioTokens(seconds);
}

/** An OpenAI chat/Responses image reference: a data: URL (inline) or a remote URL / file id (the maximum). */
function openAiImage(url: string | undefined, detail: string | undefined, rules: PartRules, out: InputPieces): void {
  const inline = url === undefined ? null : parseDataUrl(url);
  out.fixedTokens += imagePartTokens(rules, inline?.base64 ?? null, detail);
}

/** An OpenAI file part: inline `file_data` (data: URL or bare base64), or by `file_id` / `file_url` (unbounded). */
function openAiFile(f: Part, path: string, rules: PartRules, out: InputPieces): void {
  const data = str(f.file_data);
  if (data !== undefined) {
    const url = parseDataUrl(data);
    inlineFile(url?.base64 ?? data, url?.mediaType, str(f.filename), path, rules, out);
  } else if (f.file_id !== undefined) out.unbounded.push(`${path}: file part by file_id (the guard cannot see its size)`);
  else if (f.file_url !== undefined) out.unbounded.push(`${path}: file part by file_url (the guard cannot see its size)`);
  else out.unbounded.push(`${path}: file part without file_data (the guard cannot see its size)`);
}

/** Anthropic `image` / `document` sources: base64, text, url, file, content. */
function anthropicSource(kind: "image" | "document", part: Part, path: string, rules: PartRules, out: InputPieces, depth: number): void {
  const source = isRecord(part.source) ? part.source : {};
  const type = str(source.type);
  if (kind === "image") {
    // An image by url or file id costs at most the formula's maximum.
    out.fixedTokens += imagePartTokens(rules, type === "base64" ? (str(source.data) ?? null) : null, undefined);
    return;
  }
  if (typeof part.title === "string") out.texts.push(part.title);
  if (typeof part.context === "string") out.texts.push(part.context);
  if (type === "base64" && typeof source.data === "string") inlineFile(source.data, str(source.media_type), undefined, path, rules, out);
  else if (type === "text" && typeof source.data === "string") out.texts.push(source.data);
  else if (type === "content") walkContent(source.content, `${path}.source.content`, rules, out, depth + 1);
  else if (type === "url") out.unbounded.push(`${path}: document by url (the guard cannot see its size)`);
  else if (type === "file") out.unbounded.push(`${path}: document by file_id (the guard cannot see its size)`);
  else out.unbounded.push(`${path}: document with source type ${JSON.stringify(type ?? null)} (the guard cannot bound it)`);
}

/** Part types whose text fields are all they carry. */
const TEXT_FIELDS: Readonly<Record<string, readonly string[]>> = {
  text: ["text"],
  input_text: ["text"],
  output_text: ["text"],
  summary_text: ["text"],
  reasoning_text: ["text"],
  refusal: ["refusal"],
  thinking: ["thinking"],
  redacted_thinking: ["data"],
};

/**
 * Tool traffic and server-tool records the dialects document: counted as their JSON, an
 * over-count by design (the provider renders them more compactly).
 */
const JSON_PARTS = new Set([
  "tool_use",
  "server_tool_use",
  "mcp_tool_use",
  "mcp_tool_result",
  "web_search_tool_result",
  "web_fetch_tool_result",
  "code_execution_tool_result",
  "bash_code_execution_tool_result",
  "text_editor_code_execution_tool_result",
  "tool_search_tool_result",
  "search_result",
]);

/** One content part at `path`. */
function walkPart(part: Part, path: string, rules: PartRules, out: InputPieces, depth: number): void {
  const type = str(part.type);
  const textFields = type === undefined ? undefined : TEXT_FIELDS[type];
  if (textFields !== undefined) {
    for (const field of textFields) if (typeof part[field] === "string") out.texts.push(part[field]);
    return;
  }
  switch (type) {
    case "image_url": {
      const image = isRecord(part.image_url) ? part.image_url : { url: part.image_url };
      openAiImage(str(image.url), str(image.detail), rules, out);
      return;
    }
    case "input_image":
      openAiImage(str(part.image_url), str(part.detail), rules, out);
      return;
    case "image":
    case "document":
      anthropicSource(type, part, path, rules, out, depth);
      return;
    case "file":
      openAiFile(isRecord(part.file) ? part.file : {}, path, rules, out);
      return;
    case "input_file":
      openAiFile(part, path, rules, out);
      return;
    case "input_audio": {
      const audio = isRecord(part.input_audio) ? part.input_audio : part;
      if (typeof audio.data === "string") inlineAudio(audio.data, str(audio.format), out);
      else out.unbounded.push(`${path}: input_audio without inline data (the guard cannot see its length)`);
      return;
    }
    case "tool_result":
      walkContent(part.content, `${path}.content`, rules, out, depth + 1);
      return;
    case "container_upload":
      out.unbounded.push(`${path}: container_upload by file_id (the guard cannot see its size)`);
      return;
    default:
      if (type !== undefined && JSON_PARTS.has(type)) {
        out.texts.push(JSON.stringify(part));
        return;
      }
      out.unbounded.push(`${path}: part of type ${JSON.stringify(type ?? null)} (not a type the guard can bound)`);
  }
}

/**
 * Content at `path`: a string, or an array of parts (strings count as text). Anything else
 * (null, absent) adds nothing.
 */
export function walkContent(content: unknown, path: string, rules: PartRules, out: InputPieces, depth = 0): void {
  if (typeof content === "string") {
    out.texts.push(content);
    return;
  }
  if (!Array.isArray(content)) return;
  if (depth > MAX_CONTENT_DEPTH) {
    out.unbounded.push(`${path}: content nested more than ${MAX_CONTENT_DEPTH} levels deep`);
    return;
  }
  content.forEach((part, j) => {
    if (typeof part === "string") out.texts.push(part);
    else if (isRecord(part)) walkPart(part, `${path}[${j}]`, rules, out, depth);
    else out.unbounded.push(`${path}[${j}]: a ${part === null ? "null" : typeof part} where a content part belongs`);
  });
}
