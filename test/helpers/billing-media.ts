/**
 * Media for the red-team suites: real image, PDF and audio bytes whose size the
 * test chose, and the provider's documented formulas for what they bill. The
 * billing double (billing-double.ts) looks the truth up here rather than
 * parsing the bytes the way the guard does, so the two stay independent.
 */

/** What a test-made medium really is. */
export type Medium = { kind: "image"; width: number; height: number } | { kind: "pdf"; pages: number } | { kind: "audio"; seconds: number };

/** base64 payload, remote URL or file id → the medium the test made or declared. */
const registry = new Map<string, Medium>();

/** Declares what a remote URL or a provider file id holds (the guard cannot see it; the provider can). */
export function registerMedium(ref: string, medium: Medium): void {
  registry.set(ref, medium);
}

/** The medium behind a data URL, bare base64 payload, remote URL or file id; undefined when the test never made it. */
export function mediumOf(ref: string): Medium | undefined {
  const comma = ref.startsWith("data:") ? ref.indexOf(",") : -1;
  return registry.get(comma >= 0 ? ref.slice(comma + 1) : ref);
}

function base64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = (CRC_TABLE[(c ^ b) & 0xff] ?? 0) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function pngChunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set(new TextEncoder().encode(type), 4);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** A PNG of `width`×`height` (valid signature, IHDR and CRCs; the pixel data is a stub): base64, registered. */
export function pngBase64(width: number, height: number): string {
  const ihdr = new Uint8Array(13);
  const v = new DataView(ihdr.buffer);
  v.setUint32(0, width);
  v.setUint32(4, height);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB, deflate, no filter, no interlace
  const parts = [
    new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk("IHDR", ihdr),
    pngChunk("IDAT", new Uint8Array([0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01])),
    pngChunk("IEND", new Uint8Array()),
  ];
  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    bytes.set(p, at);
    at += p.length;
  }
  const b64 = base64(bytes);
  registry.set(b64, { kind: "image", width, height });
  return b64;
}

/** A `data:image/png` URL of the given size (registered). */
export function pngDataUrl(width: number, height: number): string {
  return `data:image/png;base64,${pngBase64(width, height)}`;
}

/** A PDF with `pages` empty pages (a page tree with /Count and one /Type /Page object each): base64, registered. */
export function pdfBase64(pages: number): string {
  const objs: string[] = ["<< /Type /Catalog /Pages 2 0 R >>"];
  const kids = Array.from({ length: pages }, (_, i) => `${i + 3} 0 R`).join(" ");
  objs.push(`<< /Type /Pages /Kids [${kids}] /Count ${pages} >>`);
  for (let i = 0; i < pages; i++) objs.push("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>");
  let body = "%PDF-1.4\n";
  const offsets: number[] = [];
  objs.forEach((o, i) => {
    offsets.push(body.length);
    body += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = body.length;
  body += `xref\n0 ${objs.length + 1}\n0000000000 65535 f \n`;
  for (const off of offsets) body += `${String(off).padStart(10, "0")} 00000 n \n`;
  body += `trailer\n<< /Size ${objs.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  const b64 = base64(new TextEncoder().encode(body));
  registry.set(b64, { kind: "pdf", pages });
  return b64;
}

/** A mono 8 kHz 8-bit PCM WAV of `seconds` of silence: base64, registered. */
export function wavBase64(seconds: number): string {
  const rate = 8000;
  const data = rate * seconds;
  const bytes = new Uint8Array(44 + data).fill(0x80, 44);
  const v = new DataView(bytes.buffer);
  const ascii = (at: number, s: string) => bytes.set(new TextEncoder().encode(s), at);
  ascii(0, "RIFF");
  v.setUint32(4, 36 + data, true);
  ascii(8, "WAVE");
  ascii(12, "fmt ");
  v.setUint32(16, 16, true);
  v.setUint16(20, 1, true); // PCM
  v.setUint16(22, 1, true); // mono
  v.setUint32(24, rate, true);
  v.setUint32(28, rate, true); // byte rate
  v.setUint16(32, 1, true); // block align
  v.setUint16(34, 8, true); // bits per sample
  ascii(36, "data");
  v.setUint32(40, data, true);
  const b64 = base64(bytes);
  registry.set(b64, { kind: "audio", seconds });
  return b64;
}

/**
 * OpenAI's image formula (vision guide, tile-based models): low detail is the
 * base alone; high (and auto, which may choose high) fits the image in
 * 2048×2048, scales its short side down to 768, and adds a per-tile charge for
 * each 512 px tile. Base and tile tokens differ per model family.
 */
const OPENAI_TILES: { prefix: RegExp; base: number; tile: number }[] = [
  { prefix: /^gpt-4o-mini/, base: 2833, tile: 5667 },
  { prefix: /^(gpt-4o|gpt-4\.1$|gpt-4-turbo|o1|o3(?!-mini))/, base: 85, tile: 170 },
  { prefix: /^gpt-5/, base: 70, tile: 140 },
];

/** Tokens OpenAI bills for an image of `w`×`h` at `detail` on `model`. */
export function openaiImageTokens(model: string, w: number, h: number, detail: string): number {
  const family = OPENAI_TILES.find((f) => f.prefix.test(model));
  if (!family) throw new Error(`billing double: no documented image formula for ${model}`);
  if (detail === "low") return family.base;
  let width = w;
  let height = h;
  const fit = Math.min(1, 2048 / Math.max(width, height));
  width *= fit;
  height *= fit;
  const short = Math.min(width, height);
  if (short > 768) {
    width *= 768 / short;
    height *= 768 / short;
  }
  return family.base + family.tile * Math.ceil(width / 512) * Math.ceil(height / 512);
}

/** Anthropic's image formula (vision guide): fit within 1568 px on the long edge and ~1.15 megapixels, then w×h/750. */
export function anthropicImageTokens(w: number, h: number): number {
  const scale = Math.min(1, 1568 / Math.max(w, h), Math.sqrt(1_150_000 / (w * h)));
  return Math.ceil((w * scale * (h * scale)) / 750);
}

/** Per-page PDF tokens: Anthropic documents 1,500–3,000 tokens a page (text plus the page as an image); the double bills the top. */
export const PDF_PAGE_TOKENS = 3000;
/** OpenAI audio input: one token per 100 ms of audio. */
export const AUDIO_TOKENS_PER_SECOND = 10;
