import { describe, expect, it } from "vitest";
import { chatInput, messagesInput, responsesInput, ANTHROPIC_TOOL_SYSTEM_PROMPT } from "../../src/tokens/inputs";
import { audioSeconds, audioTokens } from "../../src/tokens/parts/audio";
import { Base64Reader } from "../../src/tokens/parts/base64-reader";
import { MAX_PDF_PAGES, PDF_PAGE_TEXT_TOKENS, pdfPages, pdfTokens } from "../../src/tokens/parts/files";
import { ANTHROPIC_IMAGE, imageDims, imageTokens, openAiImageFormulas, type ImageDims } from "../../src/tokens/parts/images";

// ---- test-made media ----------------------------------------------------------------------

function b64(bytes: Uint8Array | number[]): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}
const be32 = (n: number) => [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
const le16 = (n: number) => [n & 255, (n >>> 8) & 255];
const le24 = (n: number) => [n & 255, (n >>> 8) & 255, (n >>> 16) & 255];
const le32 = (n: number) => [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, (n >>> 24) & 255];
const ascii = (s: string) => [...s].map((c) => c.charCodeAt(0));

function png(w: number, h: number): string {
  return b64([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, ...be32(13), ...ascii("IHDR"), ...be32(w), ...be32(h), 8, 2, 0, 0, 0, 0, 0, 0, 0]);
}
function gif(w: number, h: number): string {
  return b64([...ascii("GIF89a"), ...le16(w), ...le16(h), 0, 0, 0, 0x3b]);
}
function webp(kind: "VP8 " | "VP8L" | "VP8X", w: number, h: number): string {
  let chunk: number[];
  if (kind === "VP8 ") chunk = [0, 0, 0, 0x9d, 0x01, 0x2a, ...le16(w), ...le16(h)];
  else if (kind === "VP8L") {
    const bits = (w - 1) | ((h - 1) << 14);
    chunk = [0x2f, ...le32(bits >>> 0)];
  } else chunk = [0, 0, 0, 0, ...le24(w - 1), ...le24(h - 1)];
  const body = [...ascii("WEBP"), ...ascii(kind), ...le32(chunk.length), ...chunk, 0, 0, 0, 0];
  return b64([...ascii("RIFF"), ...le32(body.length), ...body]);
}
/** A JPEG with an APP0, an APP1 of `appBytes` (e.g. a big EXIF block) and then the frame header. */
function jpeg(w: number, h: number, appBytes = 16, sof = 0xc0): string {
  const app0 = [0xff, 0xe0, ...[0, 16], ...ascii("JFIF"), 0, 1, 1, 0, 0, 1, 0, 1, 0, 0];
  const app1 = [0xff, 0xe1, ...[((appBytes + 2) >> 8) & 255, (appBytes + 2) & 255], ...new Array<number>(appBytes).fill(0x41)];
  const frame = [0xff, sof, 0, 11, 8, (h >> 8) & 255, h & 255, (w >> 8) & 255, w & 255, 1, 1, 0x11, 0];
  return b64([0xff, 0xd8, ...app0, ...app1, 0xff, 0xff, ...frame, 0xff, 0xda, 0, 2, 0xff, 0xd9]);
}
function dimsOf(base64: string): ImageDims | null {
  const reader = Base64Reader.of(base64);
  return reader === null ? null : imageDims(reader);
}

/** A PDF with `pages` page objects; `hide` puts them behind an object stream or an escaped name. */
function pdf(pages: number, hide: "none" | "objstm" | "escape" = "none"): string {
  const pageType = hide === "escape" ? "/Type /P#61ge" : "/Type /Page";
  const objs = ["<< /Type /Catalog /Pages 2 0 R >>", `<< /Type /Pages /Kids [] /Count ${hide === "none" ? pages : 0} >>`];
  if (hide === "objstm") objs.push(`<< /Type /ObjStm /N ${pages} /First 10 /Length 5 /Filter /FlateDecode >>\nstream\nxxxxx\nendstream`);
  else for (let i = 0; i < pages; i++) objs.push(`<< ${pageType} /Parent 2 0 R /MediaBox [0 0 612 792] >>`);
  let body = "%PDF-1.7\n";
  objs.forEach((o, i) => (body += `${i + 1} 0 obj\n${o}\nendobj\n`));
  return body + "trailer\n<< /Root 1 0 R >>\n%%EOF\n";
}

function wav(seconds: number, rate = 8000, channels = 1, bits = 8, declaredByteRate?: number): string {
  const data = (rate * channels * bits * seconds) / 8;
  const byteRate = declaredByteRate ?? (rate * channels * bits) / 8;
  const header = [
    ...ascii("RIFF"), ...le32(36 + data), ...ascii("WAVE"), ...ascii("fmt "), ...le32(16), ...le16(1), ...le16(channels),
    ...le32(rate), ...le32(byteRate), ...le16((channels * bits) / 8), ...le16(bits), ...ascii("data"), ...le32(data),
  ];
  const bytes = new Uint8Array(header.length + data).fill(0x80);
  bytes.set(header);
  return b64(bytes);
}

// ---- images -------------------------------------------------------------------------------

describe("image headers", () => {
  const cases: Array<[string, string, ImageDims | null]> = [
    ["PNG", png(1920, 1080), { width: 1920, height: 1080 }],
    ["GIF", gif(320, 200), { width: 320, height: 200 }],
    ["WebP lossy", webp("VP8 ", 800, 600), { width: 800, height: 600 }],
    ["WebP lossless", webp("VP8L", 4000, 3000), { width: 4000, height: 3000 }],
    ["WebP extended", webp("VP8X", 10000, 20), { width: 10000, height: 20 }],
    ["JPEG baseline", jpeg(640, 480), { width: 640, height: 480 }],
    ["JPEG progressive", jpeg(3000, 2000, 16, 0xc2), { width: 3000, height: 2000 }],
    ["JPEG with a 60 KB EXIF block before the frame", jpeg(4032, 3024, 60_000), { width: 4032, height: 3024 }],
    ["not an image", btoa("hello, this is text and not an image at all"), null],
    ["JPEG with no frame header", b64([0xff, 0xd8, 0xff, 0xda, 0, 2, 0xff, 0xd9]), null],
    ["invalid base64", "!!!!", null],
    ["empty", "", null],
  ];
  it.each(cases)("%s", (_name, data, dims) => {
    expect(dimsOf(data)).toEqual(dims);
  });
});

describe("image token formulas", () => {
  const cases: Array<[string, string, ImageDims | null, string | undefined, number]> = [
    // OpenAI's documented examples (tile models): 1024² high = 765, 2048×4096 high = 1105, low = 85.
    ["gpt-4o 1024×1024 high", "gpt-4o", { width: 1024, height: 1024 }, "high", 765],
    ["gpt-4o 2048×4096 high", "gpt-4o", { width: 2048, height: 4096 }, "high", 1105],
    ["gpt-4o 4096×8192 low", "gpt-4o", { width: 4096, height: 8192 }, "low", 85],
    ["gpt-4o 512×512 auto (counted as if scaled up to 768)", "gpt-4o", { width: 512, height: 512 }, "auto", 765],
    ["gpt-4o remote URL high: 8 tiles", "gpt-4o", null, "high", 85 + 8 * 170],
    ["gpt-4o-mini 1024×1024 high", "gpt-4o-mini", { width: 1024, height: 1024 }, "high", 2833 + 4 * 5667],
    ["gpt-4o-mini remote low", "gpt-4o-mini", null, "low", 2833],
    ["o3 1024×1024", "o3", { width: 1024, height: 1024 }, "high", 75 + 4 * 150],
    ["gpt-5 1024×1024", "gpt-5", { width: 1024, height: 1024 }, "high", 70 + 4 * 140],
    // Patch models: ceil(w/32) × ceil(h/32), at most 1536, × the multiplier; "low" is not assumed cheaper.
    ["gpt-4.1-mini 1024×1024", "gpt-4.1-mini", { width: 1024, height: 1024 }, "high", Math.ceil(1024 * 1.62)],
    ["gpt-4.1-mini 4096×4096 (capped)", "gpt-4.1-mini", { width: 4096, height: 4096 }, "low", Math.ceil(1536 * 1.62)],
    ["gpt-5-nano remote", "gpt-5-nano", null, "high", Math.ceil(1536 * 2.46)],
    ["o4-mini 100×100", "o4-mini", { width: 100, height: 100 }, "high", Math.ceil(16 * 1.72)],
    // A model the table does not know: the maximum of tiles, patches at 2.46 and Claude's area.
    ["unknown model 1024×1024", "gpt-6-luna", { width: 1024, height: 1024 }, "high", Math.ceil(1024 * 2.46)],
    ["unknown model remote", "compat/some-model", null, "low", 4784],
  ];
  it.each(cases)("%s", (_name, model, dims, detail, tokens) => {
    expect(imageTokens(openAiImageFormulas(model), dims, detail)).toBe(tokens);
  });

  it.each([
    [{ width: 1000, height: 1000 }, Math.ceil(1_000_000 / 750)],
    [{ width: 200, height: 200 }, Math.ceil(40_000 / 750)],
    [{ width: 5000, height: 5000 }, 4784], // fitted to a 2576 px long edge, then capped
    [null, 4784],
  ])("Anthropic %j -> %i", (dims, tokens) => {
    expect(imageTokens([ANTHROPIC_IMAGE], dims, undefined)).toBe(tokens);
  });

  it("no image size gives more than the formula's maximum for its detail", () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) % 10000) + 1;
    for (const model of ["gpt-4o", "gpt-4o-mini", "gpt-4.1-nano", "gpt-5", "unknown"]) {
      const formulas = openAiImageFormulas(model);
      for (const detail of ["low", "high", "auto"]) {
        const max = imageTokens(formulas, null, detail);
        for (let i = 0; i < 2000; i++) {
          const dims = { width: rnd(), height: rnd() };
          expect(imageTokens(formulas, dims, detail), `${model} ${detail} ${dims.width}x${dims.height}`).toBeLessThanOrEqual(max);
        }
      }
    }
  });
});

// ---- PDFs ---------------------------------------------------------------------------------

describe("PDF pages", () => {
  it.each([1, 2, 7, 100])("%i visible pages are counted", (n) => {
    expect(pdfPages(pdf(n))).toEqual({ pages: n, counted: true });
  });

  it("does not count /Pages tree nodes as pages", () => {
    const doc = pdf(3).replace("/Kids []", "/Kids [] /Type /Pages");
    expect(pdfPages(doc).pages).toBe(3);
  });

  it.each([
    ["pages compressed in an object stream", pdf(50, "objstm"), 50],
    ["page names written with #xx escapes", pdf(40, "escape"), 40],
    ["no visible page at all", "%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF", 1],
  ])("%s: never fewer than the real pages", (_name, doc, real) => {
    const got = pdfPages(doc);
    expect(got.counted).toBe(false);
    expect(got.pages).toBeGreaterThanOrEqual(real);
    expect(got.pages).toBeLessThanOrEqual(MAX_PDF_PAGES);
  });

  it("an indirect /N hides the object count: the cap", () => {
    const doc = pdf(5, "objstm").replace("/N 5", "/N 9 0 R");
    expect(pdfPages(doc).pages).toBe(MAX_PDF_PAGES);
  });

  it("pdfTokens is pages × (text + page image), and never below a quarter of the bytes", () => {
    expect(pdfTokens(pdf(4), 1000)).toBe(4 * (PDF_PAGE_TEXT_TOKENS + 1000));
    const padded = pdf(1) + "%".repeat(400_000);
    expect(pdfTokens(padded, 1000)).toBe(Math.ceil(padded.length / 4));
  });
});

// ---- audio --------------------------------------------------------------------------------

describe("audio duration", () => {
  const reader = (data: string) => Base64Reader.of(data)!;
  it.each([
    ["8 kHz mono 8-bit, 3 s", wav(3), "wav", 3],
    ["16 kHz stereo 16-bit, 2 s", wav(2, 16000, 2, 16), "wav", 2],
    ["a header declaring a byte rate 100× too high", wav(2, 8000, 1, 8, 800_000), "wav", 2],
  ])("%s", (_name, data, format, seconds) => {
    expect(audioSeconds(reader(data), format)).toBeGreaterThanOrEqual(seconds);
    expect(audioSeconds(reader(data), format)).toBeLessThan(seconds + 0.1);
  });

  it("mp3 (or an unreadable WAV) is bounded at 8 kbit/s", () => {
    const mp3 = b64(new Uint8Array(16_000).fill(0xff));
    expect(audioSeconds(reader(mp3), "mp3")).toBe(16);
    expect(audioSeconds(reader(mp3), "wav")).toBe(16);
  });

  it("10 tokens per second, rounded up, plus one second", () => {
    expect(audioTokens(3)).toBe(40);
    expect(audioTokens(2.01)).toBe(40);
  });
});

// ---- request bodies -----------------------------------------------------------------------

describe("input pieces per part", () => {
  const user = (content: unknown[]) => ({ model: "gpt-4o", messages: [{ role: "user", content }] });
  const base = chatInput(user([{ type: "text", text: "hi" }])).fixedTokens;

  it("an inline chat image costs its tile formula; a remote one the maximum", () => {
    const inline = chatInput(user([{ type: "image_url", image_url: { url: `data:image/png;base64,${png(1024, 1024)}`, detail: "high" } }]));
    expect(inline.fixedTokens - base).toBe(765);
    const remote = chatInput(user([{ type: "image_url", image_url: { url: "https://example.com/a.png" } }]));
    expect(remote.fixedTokens - base).toBe(85 + 8 * 170);
    const low = chatInput(user([{ type: "image_url", image_url: { url: "https://example.com/a.png", detail: "low" } }]));
    expect(low.fixedTokens - base).toBe(85);
  });

  it("an undecodable inline image costs the maximum for its detail", () => {
    const p = chatInput(user([{ type: "image_url", image_url: { url: "data:image/png;base64,AAAA", detail: "high" } }]));
    expect(p.fixedTokens - base).toBe(85 + 8 * 170);
  });

  it("a chat PDF file part is bounded by its pages; a file_id is unbounded and named", () => {
    const file = chatInput(user([{ type: "file", file: { filename: "a.pdf", file_data: `data:application/pdf;base64,${btoa(pdf(3))}` } }]));
    expect(file.fixedTokens - base).toBe(3 * (PDF_PAGE_TEXT_TOKENS + 85 + 8 * 170));
    expect(file.unbounded).toEqual([]);
    const byId = chatInput(user([{ type: "text", text: "see" }, { type: "file", file: { file_id: "file-abc" } }]));
    expect(byId.unbounded).toEqual(["messages[0].content[1]: file part by file_id (the guard cannot see its size)"]);
  });

  it("a plain-text inline file is counted as text; an unknown binary file is unbounded", () => {
    const text = chatInput(user([{ type: "file", file: { filename: "a.txt", file_data: btoa("just some notes") } }]));
    expect(text.texts).toContain("just some notes");
    const zip = chatInput(user([{ type: "file", file: { filename: "a.docx", file_data: b64([0x50, 0x4b, 3, 4, 0, 0, 1, 2]) } }]));
    expect(zip.unbounded[0]).toMatch(/^messages\[0\]\.content\[0\]: .*file/);
  });

  it("input_audio adds audio tokens from the bytes", () => {
    const p = chatInput({ model: "gpt-4o-audio-preview", messages: [{ role: "user", content: [{ type: "input_audio", input_audio: { data: wav(5), format: "wav" } }] }] });
    expect(p.audioTokens).toBe(audioTokens(5));
  });

  it("unknown part types are unbounded, named by path and type", () => {
    const p = chatInput(user([{ type: "text", text: "a" }, { type: "hologram", data: "x" }]));
    expect(p.unbounded).toEqual(['messages[0].content[1]: part of type "hologram" (not a type the guard can bound)']);
  });

  it("Responses: input_image, input_file by id, item_reference", () => {
    const p = responsesInput({
      model: "gpt-4o",
      input: [
        { role: "user", content: [{ type: "input_image", image_url: `data:image/gif;base64,${gif(512, 512)}`, detail: "low" }] },
        { role: "user", content: [{ type: "input_file", file_id: "file-1" }, { type: "input_file", file_url: "https://x/y.pdf" }] },
        { type: "item_reference", id: "msg_1" },
      ],
    });
    expect(p.unbounded).toEqual([
      "input[1].content[0]: file part by file_id (the guard cannot see its size)",
      "input[1].content[1]: file part by file_url (the guard cannot see its size)",
      "input[2]: item_reference to a stored item (the guard cannot see its size)",
    ]);
  });

  it("Anthropic: image by dims, text document counted, PDF by pages, url/file unbounded, tool prompt added", () => {
    const body = {
      model: "claude-haiku-4-5",
      tools: [{ name: "f", description: "d", input_schema: { type: "object" } }],
      messages: [
        {
          role: "user",
          content: [
            { type: "image", source: { type: "base64", media_type: "image/jpeg", data: jpeg(1000, 1000) } },
            { type: "document", source: { type: "text", media_type: "text/plain", data: "the document text" } },
            { type: "document", source: { type: "base64", media_type: "application/pdf", data: btoa(pdf(2)) } },
            { type: "document", source: { type: "url", url: "https://x/y.pdf" } },
            { type: "image", source: { type: "file", file_id: "file_9" } },
            { type: "tool_result", tool_use_id: "t", content: [{ type: "text", text: "result" }, { type: "document", source: { type: "file", file_id: "f" } }] },
          ],
        },
      ],
    };
    const p = messagesInput(body);
    const noTools = messagesInput({ ...body, tools: undefined, messages: [{ role: "user", content: "x" }] });
    expect(p.texts).toContain("the document text");
    expect(p.texts).toContain("result");
    const expected = Math.ceil(1_000_000 / 750) + 2 * (PDF_PAGE_TEXT_TOKENS + 4784) + 4784 + ANTHROPIC_TOOL_SYSTEM_PROMPT;
    expect(p.fixedTokens - noTools.fixedTokens).toBe(expected);
    expect(p.unbounded).toEqual([
      "messages[0].content[3]: document by url (the guard cannot see its size)",
      "messages[0].content[5].content[1]: document by file_id (the guard cannot see its size)",
    ]);
  });
});
