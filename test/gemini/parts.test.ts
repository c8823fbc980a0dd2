/**
 * Every Gemini part type is bounded or refused (DESIGN "Cost ceilings"): inline images by
 * their header, audio by its bytes, PDFs by their pages; files by URI, inline video, caches
 * made elsewhere and unboundable tools are refused naming the part unless maxRequestUsd
 * covers them (then reserved in full); unpriced tools and output modalities are refused.
 * The output cap is forced and clamped, per candidate, whatever spelling the body uses.
 */
import { afterEach, describe, expect, it } from "vitest";
import { geminiInput } from "../../src/proxy/dialects/gemini-input";
import { eventually, mockUpstream } from "../helpers/guard";
import { geminiAnswer, geminiPost, userText } from "../helpers/gemini";
import { ledger, setup, today, ZERO } from "../helpers/traffic";

let upstream: ReturnType<typeof mockUpstream> | undefined;
afterEach(() => {
  upstream?.restore();
  upstream = undefined;
});

/** A PNG header of `w` × `h` (signature, IHDR), as base64: all the guard reads. */
function png(w: number, h: number): string {
  const b = new Uint8Array(33);
  b.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
  new DataView(b.buffer).setUint32(16, w);
  new DataView(b.buffer).setUint32(20, h);
  return btoa(String.fromCharCode(...b));
}

const withPart = (part: Record<string, unknown>) => ({
  contents: [{ role: "user", parts: [{ text: "What is this?" }, part] }],
  generationConfig: { maxOutputTokens: 100 },
});

async function refusal(res: Response): Promise<{ reason: string; message: string }> {
  expect(res.status).toBe(400);
  const e = ((await res.json()) as { error: { message: string; details: { reason: string }[] } }).error;
  return { reason: e.details[0]!.reason, message: e.message };
}

describe("Gemini input bounds", () => {
  it("bounds inline images from their header, audio from its bytes, text files as text", () => {
    const small = geminiInput(withPart({ inlineData: { mimeType: "image/png", data: png(300, 200) } }));
    const large = geminiInput(withPart({ inlineData: { mimeType: "image/png", data: png(1000, 1000) } }));
    // ≤ 384 px both ways: one 258-token tile; 1000 × 1000: crop unit 666 px → 2 × 2 tiles.
    expect(large.fixedTokens - small.fixedTokens).toBe(4 * 258 - 258);
    // A 3-second mp3-sized clip (3,000 bytes at the 8 kbit/s floor): (3 + 1) s × 32 tokens.
    const audio = geminiInput(withPart({ inlineData: { mimeType: "audio/mp3", data: btoa("x".repeat(3000)) } }));
    expect(audio.audioTokens).toBe(4 * 32);
    const text = geminiInput(withPart({ inlineData: { mimeType: "text/plain", data: btoa("a plain text file") } }));
    expect(text.texts).toContain("a plain text file");
    for (const p of [small, large, audio, text]) expect(p.unbounded).toEqual([]);
  });

  it("names what it cannot bound", () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ fileData: { mimeType: "application/pdf", fileUri: "https://generativelanguage.googleapis.com/v1beta/files/abc" } }, "contents[0].parts[1].fileData"],
      [{ inlineData: { mimeType: "video/mp4", data: btoa("....") } }, "contents[0].parts[1].inlineData"],
      [{ inlineData: { mimeType: "image/heic", data: btoa("not a header we read") } }, "contents[0].parts[1].inlineData"],
      [{ newPartType: {} }, "contents[0].parts[1].newPartType"],
    ];
    for (const [part, path] of cases) expect(geminiInput(withPart(part)).unbounded[0]).toMatch(new RegExp(`^${path.replace(/[.[\]]/g, "\\$&")}:`));
    expect(geminiInput({ ...withPart({ text: "x" }), cachedContent: "cachedContents/abc" }).unbounded[0]).toMatch(/^cachedContent:/);
  });
});

describe("Gemini routes: unbounded and unpriced parts", () => {
  it("refuses a file by URI naming the part, and nothing is spent", async () => {
    const { t, key } = await setup();
    const r = await refusal(await geminiPost("gemini-2.5-flash", "generateContent", withPart({ fileData: { fileUri: "files/abc", mimeType: "video/mp4" } }), key));
    expect(r.reason).toBe("unbounded_input");
    expect(r.message).toContain("contents[0].parts[1].fileData");
    expect(await ledger(t).counter("tenant", today())).toEqual(ZERO);
  });

  it("with maxRequestUsd, reserves an unboundable call in full and settles it at that ceiling without usage", async () => {
    upstream = mockUpstream(() => Response.json({ candidates: [{ content: { parts: [{ text: "A video." }] }, finishReason: "STOP" }] }));
    const { t, key } = await setup({ limits: { daily: 10 }, maxRequestUsd: 0.05 });
    const res = await geminiPost("gemini-2.5-flash", "generateContent", withPart({ fileData: { fileUri: "files/abc", mimeType: "video/mp4" } }), key);
    expect(res.status).toBe(200);
    await eventually(async () => expect(await ledger(t).counter("tenant", today())).toEqual({ spent: 50_000, reserved: 0, requests: 1 }));
  });

  it("refuses unboundable and unpriced tools and output modalities", async () => {
    const { t, key } = await setup();
    const base = { contents: userText("x"), generationConfig: { maxOutputTokens: 10 } };
    const code = await refusal(await geminiPost("gemini-2.5-flash", "generateContent", { ...base, tools: [{ codeExecution: {} }] }, key));
    expect(code).toMatchObject({ reason: "unbounded_input" });
    expect(code.message).toContain("tools[0].codeExecution");
    const maps = await refusal(await geminiPost("gemini-2.5-flash", "generateContent", { ...base, tools: [{ googleMaps: {} }] }, key));
    expect(maps.reason).toBe("unpriced_unit");
    expect(maps.message).toContain("googleMaps");
    const image = await refusal(
      await geminiPost("gemini-2.5-flash", "generateContent", { ...base, generationConfig: { responseModalities: ["TEXT", "IMAGE"] } }, key),
    );
    expect(image.reason).toBe("unpriced_unit");
    expect(await ledger(t).counter("tenant", today())).toEqual(ZERO);
  });
});

describe("Gemini output caps", () => {
  it("forces a cap on an uncapped call and clamps a large one per candidate, in either spelling", async () => {
    upstream = mockUpstream(() => Response.json(geminiAnswer({ promptTokenCount: 10, candidatesTokenCount: 10, totalTokenCount: 20 })));
    const { key } = await setup({ limits: { daily: 0.01 } });
    expect((await geminiPost("gemini-2.5-pro", "generateContent", { contents: userText("Hi") }, key)).status).toBe(200);
    const forced = JSON.parse(upstream.calls[0]!.body) as { generationConfig: { maxOutputTokens: number } };
    expect(forced.generationConfig.maxOutputTokens).toBeGreaterThan(0);

    // $0.01 at $10 per 1M output tokens leaves under 1,000 tokens for two candidates.
    const snake = { contents: userText("Hi"), generation_config: { max_output_tokens: 65_536, candidate_count: 2 } };
    const res = await geminiPost("gemini-2.5-pro", "generateContent", snake, key);
    expect(res.status).toBe(200);
    const total = Number(res.headers.get("x-budget-clamped-max-tokens"));
    expect(total).toBeGreaterThan(0);
    expect(total).toBeLessThan(1000);
    const sent = JSON.parse(upstream.calls[1]!.body) as Record<string, { maxOutputTokens: number; candidateCount: number }>;
    // Google reads one spelling only: the clamped camelCase one.
    expect(sent.generation_config).toBeUndefined();
    expect(sent.generationConfig).toEqual({ maxOutputTokens: Math.floor(total / 2), candidateCount: 2 });
  });
});
