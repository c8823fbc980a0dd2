/**
 * Settlement from Gemini's usageMetadata, to the micro-dollar, with Google's answers replayed
 * through the outbound mock: cached content at the cache rate, thinking billed as output,
 * tool-use prompt tokens as input, audio at the audio rate, the 2.5 Pro >200K tier for the
 * whole call, grounding per prompt, streams settled from the final event (a stream cut before
 * it settles at the ceiling), embeddings.
 */
import { afterEach, describe, expect, it } from "vitest";
import * as fx from "../fixtures/upstream";
import { eventually, mockUpstream } from "../helpers/guard";
import { geminiAnswer, geminiPost, geminiSse, userText } from "../helpers/gemini";
import { ledger, setup, today } from "../helpers/traffic";

let upstream: ReturnType<typeof mockUpstream> | undefined;
afterEach(() => {
  upstream?.restore();
  upstream = undefined;
});

async function settled(t: string, cost: number) {
  await eventually(async () => expect(await ledger(t).counter("tenant", today())).toEqual({ spent: cost, reserved: 0, requests: 1 }));
}

const body = { contents: userText("Tell me about budgets."), generationConfig: { maxOutputTokens: 1000 } };

describe("Gemini usage settlement", () => {
  it("bills fresh input, cached content, thinking and candidates at 2.5 Pro's rates, and forwards with the operator's key", async () => {
    const usage = { promptTokenCount: 1000, cachedContentTokenCount: 400, candidatesTokenCount: 200, thoughtsTokenCount: 300, totalTokenCount: 1900 };
    upstream = mockUpstream(() => Response.json(geminiAnswer(usage)));
    const { t, key } = await setup();
    const res = await geminiPost("gemini-2.5-pro", "generateContent", body, null, `?key=${encodeURIComponent(key)}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(geminiAnswer(usage));
    const out = upstream.calls[0]!;
    expect(out.url).toBe("https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-pro:generateContent");
    expect(out.headers.get("x-goog-api-key")).toBe("test-gemini-secret");
    expect(out.url + [...out.headers.values()].join() + out.body).not.toContain(key);
    expect(JSON.parse(out.body)).toEqual(body);
    // 600 fresh × $1.25 + 400 cached × $0.125 + (200 + 300 thinking) × $10, per 1M.
    await settled(t, 750 + 50 + 5000);
  });

  it("prices the whole call at the >200K tier when the prompt is over 200K tokens", async () => {
    upstream = mockUpstream(() => Response.json(geminiAnswer({ promptTokenCount: 250_000, candidatesTokenCount: 1000, totalTokenCount: 251_000 })));
    const { t, key } = await setup({ limits: { daily: 100 } });
    expect((await geminiPost("gemini-2.5-pro", "generateContent", body, key)).status).toBe(200);
    // 250,000 × $2.50 + 1,000 × $15 (not $1.25 / $10).
    await settled(t, 625_000 + 15_000);
  });

  it("bills tool-use prompt tokens as input, audio at the audio rate, and a grounded prompt's fee", async () => {
    const usage = {
      promptTokenCount: 400,
      promptTokensDetails: [
        { modality: "TEXT", tokenCount: 80 },
        { modality: "AUDIO", tokenCount: 320 },
      ],
      toolUsePromptTokenCount: 100,
      candidatesTokenCount: 10,
      totalTokenCount: 510,
    };
    const grounded = { groundingMetadata: { webSearchQueries: ["budget guard"], groundingChunks: [] } };
    upstream = mockUpstream(() => Response.json(geminiAnswer(usage, grounded)));
    const { t, key } = await setup();
    const res = await geminiPost("gemini-2.5-flash", "generateContent", { ...body, tools: [{ googleSearch: {} }] }, key);
    expect(res.status).toBe(200);
    // 2.5 Flash: (80 + 100) × $0.30 + 320 × $1.00 audio + 10 × $2.50, plus $35 / 1,000 grounded prompts.
    await settled(t, 54 + 320 + 25 + 35_000);
  });

  it("streams Google's events through and settles from the final one", async () => {
    const events = [
      { candidates: [{ content: { role: "model", parts: [{ text: "Budgets " }] }, index: 0 }], usageMetadata: { promptTokenCount: 50, candidatesTokenCount: 2, totalTokenCount: 52 } },
      {
        candidates: [{ content: { role: "model", parts: [{ text: "are limits." }] }, finishReason: "STOP", index: 0 }],
        usageMetadata: { promptTokenCount: 50, candidatesTokenCount: 7, thoughtsTokenCount: 20, totalTokenCount: 77 },
      },
    ];
    upstream = mockUpstream(() => geminiSse(events));
    const { t, key } = await setup();
    const res = await geminiPost("gemini-2.5-pro", "streamGenerateContent", body, key, "?alt=sse");
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const text = await res.text();
    expect(text).toContain("are limits.");
    expect(upstream.calls[0]!.url).toBe("https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse");
    // 50 × $1.25 + (7 + 20) × $10, per 1M, rounded up once.
    await settled(t, Math.ceil((50 * 1_250_000 + 27 * 10_000_000) / 1_000_000));
  });

  it("settles a stream cut before its final event at the ceiling, not at the running count", async () => {
    const events = [
      { candidates: [{ content: { parts: [{ text: "Budgets " }] }, index: 0 }], usageMetadata: { promptTokenCount: 50, candidatesTokenCount: 2, totalTokenCount: 52 } },
      { candidates: [{ content: { parts: [{ text: "are" }] }, index: 0 }], usageMetadata: { promptTokenCount: 50, candidatesTokenCount: 3, totalTokenCount: 53 } },
      { candidates: [{ content: { parts: [{ text: " limits." }] }, finishReason: "STOP", index: 0 }], usageMetadata: { promptTokenCount: 50, candidatesTokenCount: 5 } },
    ];
    const sse = events.map((e) => `data: ${JSON.stringify(e)}\n\n`).join("");
    upstream = mockUpstream(() => fx.sseResponse(sse, { cutAfter: 2 }));
    const { t, key } = await setup();
    const res = await geminiPost("gemini-2.5-pro", "streamGenerateContent", body, key, "?alt=sse");
    await res.text().catch(() => "");
    await eventually(async () => {
      const c = await ledger(t).counter("tenant", today());
      expect(c.reserved).toBe(0);
      expect(c.requests).toBe(1);
      // The whole output cap (1,000 × $10 per 1M) at least: never the running 3 tokens.
      expect(c.spent).toBeGreaterThanOrEqual(10_000);
    });
  });

  it("settles embeddings from usageMetadata, and at the ceiling without it", async () => {
    upstream = mockUpstream(() => Response.json({ embeddings: [{ values: [0.1, 0.2] }], usageMetadata: { promptTokenCount: 10, totalTokenCount: 10 } }));
    const a = await setup();
    const batch = { requests: [{ model: "models/gemini-embedding-001", content: { parts: [{ text: "hello" }] } }] };
    expect((await geminiPost("gemini-embedding-001", "batchEmbedContents", batch, a.key)).status).toBe(200);
    expect(JSON.parse(upstream.calls[0]!.body)).toEqual(batch);
    // 10 × $0.15 per 1M, rounded up.
    await settled(a.t, 2);
    upstream.restore();

    upstream = mockUpstream(() => Response.json({ embedding: { values: [0.1, 0.2] } }));
    const b = await setup();
    expect((await geminiPost("gemini-embedding-001", "embedContent", { content: { parts: [{ text: "hello" }] } }, b.key)).status).toBe(200);
    await eventually(async () => {
      const c = await ledger(b.t).counter("tenant", today());
      expect(c).toMatchObject({ reserved: 0, requests: 1 });
      expect(c.spent).toBeGreaterThan(0);
    });
  });
});
