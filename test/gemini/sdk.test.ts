/**
 * `@google/genai`, changed only in its base URL and key, works against the guard's Gemini
 * routes (served by the built-in mock): generateContent, a stream, countTokens, embedContent,
 * and a budget block surfaces as a non-retried 429 in Google's shape.
 */
import { ApiError } from "@google/genai";
import { describe, expect, it } from "vitest";
import { createKey, createTenant, eventually } from "../helpers/guard";
import { ledger, today, ZERO } from "../helpers/traffic";
import { genai, viaGuard } from "../helpers/gemini";

async function setup(config: Record<string, unknown> = { limits: { daily: 10 } }) {
  const t = await createTenant(config);
  return { t, key: await createKey(t, { name: "sdk", role: "user", userId: "gem-user" }) };
}

const counter = (t: string) => ledger(t).counter("tenant", today());

describe("@google/genai against the guard", () => {
  it("generateContent answers within the cap and settles what usageMetadata reports", async () => {
    const { t, key } = await setup();
    const res = await genai(key).models.generateContent({ model: "mock-small", contents: "Hi", config: { maxOutputTokens: 16 } });
    expect(res.text).toMatch(/^Mock/);
    expect(res.usageMetadata?.candidatesTokenCount).toBeLessThanOrEqual(16);
    const u = res.usageMetadata!;
    // mock-small: $0.15 / $0.60 per 1M tokens.
    const cost = Math.ceil(((u.promptTokenCount ?? 0) * 150_000 + (u.candidatesTokenCount ?? 0) * 600_000) / 1_000_000);
    await eventually(async () => expect(await counter(t)).toEqual({ spent: cost, reserved: 0, requests: 1 }));
  });

  it("streams server-sent events and settles from the final event's usage", async () => {
    const { t, key } = await setup();
    const stream = await genai(key).models.generateContentStream({ model: "mock-small", contents: "Tell me more", config: { maxOutputTokens: 40 } });
    let text = "";
    let last: { promptTokenCount?: number; candidatesTokenCount?: number } | undefined;
    for await (const chunk of stream) {
      text += chunk.text ?? "";
      last = chunk.usageMetadata ?? last;
    }
    expect(text).toMatch(/^Mock/);
    const cost = Math.ceil(((last?.promptTokenCount ?? 0) * 150_000 + (last?.candidatesTokenCount ?? 0) * 600_000) / 1_000_000);
    await eventually(async () => expect(await counter(t)).toEqual({ spent: cost, reserved: 0, requests: 1 }));
  });

  it("counts tokens without spending, and embeds contents", async () => {
    const { t, key } = await setup();
    const ai = genai(key);
    const counted = await ai.models.countTokens({ model: "mock-small", contents: "How many tokens is this?" });
    expect(counted.totalTokens).toBeGreaterThan(0);
    expect(await counter(t)).toEqual(ZERO);

    const emb = await ai.models.embedContent({ model: "mock-embed", contents: ["first text", "second text"] });
    expect(emb.embeddings).toHaveLength(2);
    expect(emb.embeddings?.[0]?.values).toHaveLength(8);
    await eventually(async () => expect((await counter(t)).requests).toBe(1));
    expect((await counter(t)).reserved).toBe(0);
  });

  it("surfaces a budget block as a 429 RESOURCE_EXHAUSTED, sent once", async () => {
    const { t, key } = await setup({ limits: { daily: 0.000001 }, blockStatus: 429 });
    let calls = 0;
    const ai = genai(key, (input, init) => {
      calls += 1;
      return viaGuard(input, init);
    });
    const err = await ai.models.generateContent({ model: "mock-small", contents: "Hi", config: { maxOutputTokens: 16 } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(429);
    const body = JSON.parse((err as ApiError).message) as { error: { code: number; status: string; message: string; details: { reason: string }[] } };
    expect(body.error).toMatchObject({ code: 429, status: "RESOURCE_EXHAUSTED" });
    expect(body.error.details[0]?.reason).toBe("tenant_daily_budget_exceeded");
    expect(calls).toBe(1);
    expect(await counter(t)).toEqual(ZERO);
  });
});
