/**
 * Bad Gemini requests get a 4xx in Google's error shape (`{error: {code, message, status}}`)
 * and spend nothing: no key, a bad key, bad JSON, a missing field, an unknown method, a
 * body over the size cap, a stream without alt=sse, and a model the guard cannot price.
 */
import { describe, expect, it } from "vitest";
import { call } from "../helpers/guard";
import { geminiPost, userText } from "../helpers/gemini";
import { ledger, setup, today, withEnv, ZERO } from "../helpers/traffic";

async function googleError(res: Response, code: number, status: string): Promise<{ message: string; reason: string }> {
  expect(res.status).toBe(code);
  const body = (await res.json()) as { error: { code: number; status: string; message: string; details: { reason: string }[] } };
  expect(body.error.code).toBe(code);
  expect(body.error.status).toBe(status);
  return { message: body.error.message, reason: body.error.details[0]!.reason };
}

const ok = { contents: userText("Hello"), generationConfig: { maxOutputTokens: 16 } };

describe("Gemini routes: bad input", () => {
  it("401 without a key or with a bad one; ?key= is accepted like x-goog-api-key", async () => {
    const { t, key } = await setup();
    expect((await googleError(await geminiPost("mock-small", "generateContent", ok, null), 401, "UNAUTHENTICATED")).reason).toBe("missing_api_key");
    expect((await googleError(await geminiPost("mock-small", "generateContent", ok, `bg_${t}_wrong`), 401, "UNAUTHENTICATED")).reason).toBe(
      "invalid_api_key",
    );
    const viaQuery = await geminiPost("mock-small", "generateContent", ok, null, `?key=${encodeURIComponent(key)}`);
    expect(viaQuery.status).toBe(200);
  });

  it("400 for bad JSON, a missing field, a bad cap, an unknown model; 404 for an unknown method; nothing spent", async () => {
    const { t, key } = await setup();
    await googleError(await geminiPost("mock-small", "generateContent", "{not json", key), 400, "INVALID_ARGUMENT");
    const missing = await googleError(await geminiPost("mock-small", "generateContent", { generationConfig: {} }, key), 400, "INVALID_ARGUMENT");
    expect(missing.message).toContain("contents");
    const cap = await googleError(
      await geminiPost("mock-small", "generateContent", { contents: userText("x"), generationConfig: { maxOutputTokens: -1 } }, key),
      400,
      "INVALID_ARGUMENT",
    );
    expect(cap.message).toContain("generationConfig.maxOutputTokens");
    const unknownModel = await googleError(await geminiPost("gemini-9-ultra", "generateContent", ok, key), 400, "INVALID_ARGUMENT");
    expect(unknownModel.message).toContain("gemini-9-ultra");
    const otherDialect = await googleError(await geminiPost("gpt-4o", "generateContent", ok, key), 400, "INVALID_ARGUMENT");
    expect(otherDialect.message).toContain("gpt-4o");
    await googleError(await geminiPost("mock-small", "predict", ok, key), 404, "NOT_FOUND");
    await googleError(await call("/v1beta/tunedModels/x:generateContent", { method: "POST" }), 404, "NOT_FOUND");
    const alt = await googleError(await geminiPost("mock-small", "streamGenerateContent", ok, key), 400, "INVALID_ARGUMENT");
    expect(alt.message).toContain("alt=sse");
    expect(await ledger(t).counter("tenant", today())).toEqual(ZERO);
  });

  it("413 for a body over the size cap, 415 for a body that is not JSON", async () => {
    const { t, key } = await setup();
    const big = { contents: userText("x".repeat(2_000)) };
    const res = await withEnv({ MAX_BODY_BYTES: "1000" }, "/v1beta/models/mock-small:generateContent", {
      method: "POST",
      headers: { "content-type": "application/json", "x-goog-api-key": key },
      body: JSON.stringify(big),
    });
    expect((await googleError(res, 413, "INVALID_ARGUMENT")).reason).toBe("request_too_large");
    const text = await call("/v1beta/models/mock-small:generateContent", {
      method: "POST",
      headers: { "content-type": "text/plain", "x-goog-api-key": key },
      body: "hi",
    });
    await googleError(text, 415, "INVALID_ARGUMENT");
    expect(await ledger(t).counter("tenant", today())).toEqual(ZERO);
  });

  it("a field sent in both spellings is a 400; snake_case alone is read like camelCase", async () => {
    const { t, key } = await setup();
    const both = await googleError(
      await geminiPost("mock-small", "generateContent", { contents: userText("x"), generationConfig: {}, generation_config: {} }, key),
      400,
      "INVALID_ARGUMENT",
    );
    expect(both.message).toContain("generation_config");
    // The cap in snake_case is the cap: a negative one is refused like its camelCase spelling.
    await googleError(
      await geminiPost("mock-small", "generateContent", { contents: userText("x"), generation_config: { max_output_tokens: 0 } }, key),
      400,
      "INVALID_ARGUMENT",
    );
    expect(await ledger(t).counter("tenant", today())).toEqual(ZERO);
  });
});
