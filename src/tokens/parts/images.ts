/**
 * Image input bounds: the image's size from its own header (PNG, JPEG, GIF, WebP; a few bytes
 * decoded, never the whole image) and the provider's documented token formula at the detail
 * asked. Without the bytes (a URL, a file id) or with a header we cannot read, the largest
 * count the formula can give at that detail, so the result is always an upper bound.
 */
import type { Base64Reader } from "./base64-reader";

/** Pixel size of an image. */
export interface ImageDims {
  width: number;
  height: number;
}

/** Markers of a JPEG segment walk; a real file has a few dozen before its frame header. */
const MAX_JPEG_SEGMENTS = 4096;

const u16be = (b: Uint8Array, i: number) => (b[i]! << 8) | b[i + 1]!;
const u16le = (b: Uint8Array, i: number) => b[i]! | (b[i + 1]! << 8);
const u24le = (b: Uint8Array, i: number) => b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16);
const u32be = (b: Uint8Array, i: number) => ((b[i]! << 24) >>> 0) + ((b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!);

/** Width and height from the image's header, or null if it is not a PNG/JPEG/GIF/WebP we can read. */
export function imageDims(reader: Base64Reader): ImageDims | null {
  const head = reader.bytes(0, 32);
  if (head === null || head.length < 10) return null;
  let dims: ImageDims | null = null;
  if (head[0] === 0x89 && head[1] === 0x50 && head[2] === 0x4e && head[3] === 0x47 && head.length >= 24) {
    // PNG: signature, then the IHDR chunk: length, "IHDR", width, height (big-endian).
    dims = { width: u32be(head, 16), height: u32be(head, 20) };
  } else if (head[0] === 0x47 && head[1] === 0x49 && head[2] === 0x46) {
    // GIF87a/GIF89a: logical screen width and height (little-endian).
    dims = { width: u16le(head, 6), height: u16le(head, 8) };
  } else if (head[0] === 0x52 && head[1] === 0x49 && head[2] === 0x46 && head[3] === 0x46 && head.length >= 16) {
    dims = webpDims(head);
  } else if (head[0] === 0xff && head[1] === 0xd8) {
    dims = jpegDims(reader);
  }
  if (dims === null || !(dims.width > 0) || !(dims.height > 0)) return null;
  return dims;
}

/** RIFF....WEBP with a VP8 (lossy), VP8L (lossless) or VP8X (extended) first chunk. */
function webpDims(b: Uint8Array): ImageDims | null {
  if (String.fromCharCode(b[8]!, b[9]!, b[10]!, b[11]!) !== "WEBP") return null;
  const chunk = String.fromCharCode(b[12]!, b[13]!, b[14]!, b[15]!);
  const need = chunk === "VP8 " ? 30 : chunk === "VP8L" ? 25 : 30;
  if (b.length < need) return null;
  if (chunk === "VP8 ") {
    // Frame tag (3 bytes) at 20, start code 9d 01 2a at 23, then 14-bit width and height.
    if (b[23] !== 0x9d || b[24] !== 0x01 || b[25] !== 0x2a) return null;
    return { width: u16le(b, 26) & 0x3fff, height: u16le(b, 28) & 0x3fff };
  }
  if (chunk === "VP8L") {
    // Signature 0x2f at 20, then width-1 and height-1 in 14 bits each.
    if (b[20] !== 0x2f) return null;
    const bits = b[21]! | (b[22]! << 8) | (b[23]! << 16) | (b[24]! << 24);
    return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
  }
  if (chunk === "VP8X") return { width: u24le(b, 24) + 1, height: u24le(b, 27) + 1 };
  return null;
}

/** Walks JPEG segments (reading 9 bytes per marker) to the first SOFn frame header. */
function jpegDims(reader: Base64Reader): ImageDims | null {
  let at = 2;
  for (let hops = 0; hops < MAX_JPEG_SEGMENTS && at + 4 <= reader.byteLength; hops++) {
    const b = reader.bytes(at, 9);
    if (b === null || b.length < 4) return null;
    if (b[0] !== 0xff) return null;
    const marker = b[1]!;
    if (marker === 0xff) {
      at += 1; // fill byte
      continue;
    }
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      at += 2; // markers without a length
      continue;
    }
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isSof) {
      if (b.length < 9) return null;
      return { width: u16be(b, 7), height: u16be(b, 5) };
    }
    if (marker === 0xd9 || marker === 0xda) return null; // end of image, or scan data before any frame header
    const length = u16be(b, 2);
    if (length < 2) return null;
    at += 2 + length;
  }
  return null;
}

/** One of the documented ways a provider turns an image into tokens. */
export type ImageFormula =
  /** OpenAI tiles: fit in 2048×2048, shortest side to 768, `base + perTile × 512px tiles`; "low" is `base`. */
  | { kind: "tiles"; base: number; perTile: number }
  /** OpenAI patches: 32×32 px patches, at most `maxPatches`, times a per-model multiplier (no "low" discount assumed). */
  | { kind: "patches"; multiplier: number; maxPatches: number }
  /** Anthropic: width × height / 750 after fitting the long edge and a token cap. */
  | { kind: "area"; pixelsPerToken: number; maxLongEdge: number; maxTokens: number };

/** ceil() that forgives floating-point dust (768.0000001 px is 768 px). */
const ceilPx = (x: number) => Math.ceil(x - 1e-6);

function tileCount(width: number, height: number): number {
  // Fit within 2048×2048, then bring the shortest side down to 768.
  const fit = Math.min(1, 2048 / Math.max(width, height));
  const w = width * fit;
  const h = height * fit;
  const down = Math.min(1, 768 / Math.min(w, h));
  const tiles = ceilPx((w * down) / 512) * ceilPx((h * down) / 512);
  // The docs do not say whether a small image is scaled UP to a 768 short side; count that
  // too (still within 2048) so the bound holds either way.
  const up = Math.min(768 / Math.min(w, h), 2048 / Math.max(w, h));
  const upTiles = ceilPx((w * up) / 512) * ceilPx((h * up) / 512);
  return Math.max(tiles, upTiles);
}

/** Tokens of one image under one formula; `dims` null means "the largest the formula allows". */
export function formulaTokens(f: ImageFormula, dims: ImageDims | null, detail: string | undefined): number {
  switch (f.kind) {
    case "tiles":
      if (detail === "low") return f.base;
      // The most tiles any image gives: a 768 × 2048 fit is 2 × 4 tiles.
      return f.base + f.perTile * (dims === null ? 8 : tileCount(dims.width, dims.height));
    case "patches": {
      const patches = dims === null ? f.maxPatches : Math.min(f.maxPatches, ceilPx(dims.width / 32) * ceilPx(dims.height / 32));
      return Math.ceil(patches * f.multiplier);
    }
    case "area": {
      if (dims === null) return f.maxTokens;
      const fit = Math.min(1, f.maxLongEdge / Math.max(dims.width, dims.height));
      return Math.min(f.maxTokens, Math.ceil((dims.width * fit * dims.height * fit) / f.pixelsPerToken));
    }
  }
}

// Sources (checked 2026-12): OpenAI "Images and vision", section "Calculating costs"
// (https://platform.openai.com/docs/guides/images-vision#calculating-costs): tile models
// GPT-4o/4.1/4.5 85 + 170 per tile, o1/o3 75 + 150, GPT-5 70 + 140, computer-use 65 + 129,
// GPT-4o mini 2833 + 5667 (priced to cost what GPT-4o does); patch models cap at 1536 patches
// with multipliers gpt-5-mini 1.62, gpt-5-nano 2.46, gpt-4.1-mini 1.62, gpt-4.1-nano 2.46,
// o4-mini 1.72 (see also github.com/openai/openai-python/issues/2851 on which model uses which).
const tiles = (base: number, perTile: number): ImageFormula => ({ kind: "tiles", base, perTile });
const patches = (multiplier: number): ImageFormula => ({ kind: "patches", multiplier, maxPatches: 1536 });

/**
 * Anthropic "Vision" (https://platform.claude.com/docs/en/build-with-claude/vision): tokens ≈
 * width × height / 750; images are scaled to a 1568 px long edge (~1,600 tokens) on most
 * models, but Claude Opus 4.7 and later read up to a 2576 px long edge, ~4,784 tokens. The
 * bound uses the larger limits for every Claude model (the guard does not track which model
 * has which resizer); inputs.ts adds the 1.4 Claude tokenizer factor on top.
 */
export const ANTHROPIC_IMAGE: ImageFormula = { kind: "area", pixelsPerToken: 750, maxLongEdge: 2576, maxTokens: 4784 };

/** OpenAI model families by name prefix, most specific first. */
const OPENAI_FAMILIES: ReadonlyArray<[RegExp, readonly ImageFormula[]]> = [
  [/^gpt-4o-mini/, [tiles(2833, 5667)]],
  [/^gpt-4\.1-mini/, [patches(1.62)]],
  [/^gpt-4\.1-nano/, [patches(2.46)]],
  [/^o4-mini/, [patches(1.72)]],
  [/^gpt-5-mini/, [patches(1.62)]],
  [/^gpt-5-nano/, [patches(2.46)]],
  [/^(gpt-4o|chatgpt-4o|gpt-4\.1|gpt-4\.5|gpt-4-turbo)/, [tiles(85, 170)]],
  [/^(o1|o3)(-|$)/, [tiles(75, 150)]],
  [/^gpt-5(-chat|-\d{4}|$)/, [tiles(70, 140)]],
  [/^computer-use/, [tiles(65, 129)]],
];

/**
 * Any other model on an OpenAI-dialect route (newer GPT snapshots, OpenAI-compatible
 * providers): the maximum over the current formulas, patches at the highest multiplier and
 * Claude's, since the guard cannot know which one such a model uses.
 */
const UNKNOWN_MODEL: readonly ImageFormula[] = [tiles(85, 170), patches(2.46), ANTHROPIC_IMAGE];

/** The formulas an OpenAI-dialect request for `model` may be billed by. */
export function openAiImageFormulas(model: string): readonly ImageFormula[] {
  const name = model.toLowerCase();
  for (const [pattern, formulas] of OPENAI_FAMILIES) if (pattern.test(name)) return formulas;
  return UNKNOWN_MODEL;
}

/** Upper bound on one image's tokens: the maximum over `formulas`. */
export function imageTokens(formulas: readonly ImageFormula[], dims: ImageDims | null, detail: string | undefined): number {
  let max = 0;
  for (const f of formulas) max = Math.max(max, formulaTokens(f, dims, detail));
  return max;
}
