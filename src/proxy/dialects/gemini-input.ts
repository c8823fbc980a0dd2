/**
 * The input of a Gemini request as pieces the guard can bound (DESIGN "Cost
 * ceilings": every part type bounded). Sources, Gemini API docs "Understand
 * and count tokens" and "Document understanding" (ai.google.dev/gemini-api/docs,
 * read as quoted by geminibyexample.com and Google's forum, 2026):
 *
 * - text, function calls and responses, code and its results: counted as text
 *   (the JSON of structured parts, an over-count by design);
 * - inline images: 258 tokens when both sides are ≤ 384 px, else tiles of a
 *   crop unit (the shorter side / 1.5, clamped to 256–768 px) at 258 tokens
 *   each, from the image's own header; an image whose header cannot be read
 *   (HEIC, corrupt) is unbounded;
 * - inline audio: 32 tokens per second, the duration bounded from the bytes
 *   (WAV header, else 8 kbit/s), priced at the model's audio rate;
 * - inline PDFs: pages × (the guard's per-page text bound + 258), from the
 *   bytes; plain-text files are counted as text;
 * - inline video, other binary files, files by `fileData.fileUri` and a
 *   `cachedContent` cache made outside the guard: unbounded (reserved at
 *   maxRequestUsd in full, else a 400 naming the part).
 */
import type { InputPieces } from "../../tokens/inputs";
import { audioSeconds } from "../../tokens/parts/audio";
import { base64DecodedLength, decodeBase64Binary } from "../../tokens/parts/base64";
import { Base64Reader } from "../../tokens/parts/base64-reader";
import { looksLikePdf, pdfTokens, plainText } from "../../tokens/parts/files";
import { imageDims, type ImageDims } from "../../tokens/parts/images";

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** Tokens of one image tile, and of a PDF page, on Gemini 2.x. */
export const GEMINI_TILE_TOKENS = 258;
/** Audio tokens per second of input. */
export const GEMINI_AUDIO_TOKENS_PER_SECOND = 32;
/** Turn framing per content (role and separators), and reply priming: the same allowance as the other dialects. */
const PER_CONTENT = 4;
const REPLY_PRIMING = 3;

/** Upper bound on one image's tokens from its size (see header). */
export function geminiImageTokens(d: ImageDims): number {
  if (d.width <= 384 && d.height <= 384) return GEMINI_TILE_TOKENS;
  const unit = Math.min(768, Math.max(256, Math.floor(Math.min(d.width, d.height) / 1.5)));
  return Math.ceil(d.width / unit) * Math.ceil(d.height / unit) * GEMINI_TILE_TOKENS;
}

/** Upper bound on the audio tokens of `base64` audio of `mimeType`. */
function audioTokens(base64: string, mimeType: string): number {
  const reader = Base64Reader.of(base64);
  const wav = /^audio\/(x-)?wav(e)?$/.test(mimeType);
  const seconds = reader === null ? base64DecodedLength(base64) / 1_000 : audioSeconds(reader, wav ? "wav" : "compressed");
  return (Math.ceil(seconds) + 1) * GEMINI_AUDIO_TOKENS_PER_SECOND;
}

/** Media types whose bytes are text Gemini reads as such. */
const TEXT_TYPES = /^(text\/[a-z0-9.+-]+|application\/(json|xml|javascript|x-javascript|x-python|x-typescript|rtf))$/;

/** One `inlineData` blob at `path`. */
function inlineData(blob: Json, path: string, out: InputPieces): void {
  const mime = typeof blob.mimeType === "string" ? blob.mimeType.toLowerCase().split(";")[0]!.trim() : "";
  const data = typeof blob.data === "string" ? blob.data : null;
  if (data === null) {
    out.unbounded.push(`${path}: inline data without base64 'data' (the guard cannot see its size)`);
    return;
  }
  if (mime.startsWith("image/")) {
    const reader = Base64Reader.of(data);
    const dims = reader === null ? null : imageDims(reader);
    if (dims) out.fixedTokens += geminiImageTokens(dims);
    else out.unbounded.push(`${path}: ${mime} image whose size the guard cannot read (send PNG, JPEG, GIF or WebP)`);
    return;
  }
  if (mime.startsWith("audio/")) {
    out.audioTokens += audioTokens(data, mime);
    return;
  }
  if (mime.startsWith("video/")) {
    out.unbounded.push(`${path}: inline ${mime} video (the guard cannot bound a video's length from its bytes)`);
    return;
  }
  const binary = decodeBase64Binary(data);
  if (binary === null) {
    out.unbounded.push(`${path}: inline data that is not valid base64 (the guard cannot read its size)`);
    return;
  }
  if (mime === "application/pdf" || looksLikePdf(binary)) {
    out.fixedTokens += pdfTokens(binary, GEMINI_TILE_TOKENS);
    return;
  }
  const text = TEXT_TYPES.test(mime) ? plainText(binary) : null;
  if (text !== null) out.texts.push(text);
  else out.unbounded.push(`${path}: ${mime || "untyped"} inline file (the guard can bound only images, audio, PDF and text)`);
}

/** Part fields that carry structured content, counted as their JSON. */
const JSON_FIELDS = new Set(["functionCall", "functionResponse", "executableCode", "codeExecutionResult", "toolCall", "toolResponse"]);
/** Part fields that only describe the part (its media's clip or resolution, a thought flag). */
const META_FIELDS = new Set(["thought", "videoMetadata", "partMetadata", "mediaResolution"]);

/** One part at `path`: every field bounded, or named as unbounded. */
function part(p: Json, path: string, out: InputPieces): void {
  for (const [field, value] of Object.entries(p)) {
    if (value === undefined || value === null || META_FIELDS.has(field)) continue;
    if (field === "text" || field === "thoughtSignature") {
      if (typeof value === "string") out.texts.push(value);
      else out.unbounded.push(`${path}.${field}: not a string`);
    } else if (JSON_FIELDS.has(field)) out.texts.push(JSON.stringify(value));
    else if (field === "inlineData" && isObj(value)) inlineData(value, `${path}.inlineData`, out);
    else if (field === "fileData") out.unbounded.push(`${path}.fileData: a file by fileUri (the guard cannot see its size)`);
    else out.unbounded.push(`${path}.${field}: not a part type the guard can bound`);
  }
}

/** One Content (`{role, parts}`) at `path`. */
function content(c: unknown, path: string, out: InputPieces): void {
  if (!isObj(c)) return;
  out.fixedTokens += PER_CONTENT;
  if (typeof c.role === "string") out.texts.push(c.role);
  const parts = Array.isArray(c.parts) ? c.parts : [];
  parts.forEach((p, i) => {
    if (isObj(p)) part(p, `${path}.parts[${i}]`, out);
    else out.unbounded.push(`${path}.parts[${i}]: a ${p === null ? "null" : typeof p} where a part belongs`);
  });
}

function pieces(): InputPieces {
  return { texts: [], fixedTokens: 0, audioTokens: 0, unbounded: [] };
}

/** The input of a generateContent (or streamGenerateContent, or countTokens) body. */
export function geminiInput(body: Json): InputPieces {
  const out = pieces();
  out.fixedTokens = REPLY_PRIMING;
  content(body.systemInstruction, "systemInstruction", out);
  const contents = Array.isArray(body.contents) ? body.contents : [];
  contents.forEach((c, i) => content(c, `contents[${i}]`, out));
  if (body.tools !== undefined) out.texts.push(JSON.stringify(body.tools));
  if (body.toolConfig !== undefined) out.texts.push(JSON.stringify(body.toolConfig));
  const gc = isObj(body.generationConfig) ? body.generationConfig : {};
  for (const k of ["responseSchema", "responseJsonSchema"]) if (gc[k] !== undefined) out.texts.push(JSON.stringify(gc[k]));
  if (typeof body.cachedContent === "string") {
    // The guard never sees a cache being made (cachedContents is not proxied), so it cannot know its size.
    out.unbounded.push(`cachedContent: context cache "${body.cachedContent.slice(0, 128)}" made outside the guard (its size is unknown)`);
  }
  return out;
}

/** The input of an embedContent body, or of each request of a batchEmbedContents body. */
export function geminiEmbedInput(body: Json): InputPieces {
  const out = pieces();
  if (Array.isArray(body.requests)) {
    body.requests.forEach((r, i) => {
      if (!isObj(r)) return;
      content(r.content, `requests[${i}].content`, out);
      if (typeof r.title === "string") out.texts.push(r.title);
    });
  } else {
    content(body.content, "content", out);
    if (typeof body.title === "string") out.texts.push(body.title);
  }
  return out;
}
