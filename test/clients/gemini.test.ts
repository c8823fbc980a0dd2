/**
 * The Gemini clients of the matrix: the AI SDK's `@ai-sdk/google` and Google's
 * `@google/genai` (its plain call, stream, countTokens and embeddings are in
 * test/gemini/sdk.test.ts), changed only in the base URL and key: a stream
 * whose cost is settled exactly, a function-call round trip (streamed and not)
 * and embeddings. Blocks: no-retry-on-block.test.ts.
 */
import { createGoogle } from "@ai-sdk/google";
import { GoogleGenAI, type Content, type GenerateContentResponse } from "@google/genai";
import { embedMany, generateText, isStepCount, streamText, tool } from "ai";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { askForTool, clientTenant, countingFetch, expectSettled, GUARD } from "../helpers/clients";
import { eventually } from "../helpers/guard";
import { ledger, today } from "../helpers/traffic";

const google = (apiKey: string, fetch: typeof globalThis.fetch) => createGoogle({ baseURL: `${GUARD}/v1beta`, apiKey, fetch });
const weather = tool({
  description: "The weather in a city",
  inputSchema: z.object({ city: z.string() }),
  execute: async ({ city }) => ({ city, forecast: "sunny", celsius: 21 }),
});
const usageOf = (u: { inputTokens: number | undefined; outputTokens: number | undefined }) => ({
  input: u.inputTokens ?? -1,
  output: u.outputTokens ?? -1,
});

describe("AI SDK, google", () => {
  it("a plain call and a streamed call are settled at the usage they reported", async () => {
    const { t, key } = await clientTenant();
    const { fetch, attempts } = countingFetch();
    const model = google(key, fetch)("mock-small");
    const plain = await generateText({ model, prompt: "Hi", maxOutputTokens: 16 });
    expect(plain.text).toMatch(/^Mock/);
    const res = streamText({ model, prompt: "Hi", maxOutputTokens: 200 });
    let text = "";
    for await (const delta of res.textStream) text += delta;
    expect(text).toMatch(/^Mock/);
    expect(attempts).toEqual(["POST /v1beta/models/mock-small:generateContent", "POST /v1beta/models/mock-small:streamGenerateContent"]);
    await expectSettled(t, [usageOf(plain.usage), usageOf(await res.usage)]);
  });

  it.each([false, true])("a function-call round trip (streamed: %s)", async (stream) => {
    const { t, key } = await clientTenant();
    const { fetch, attempts } = countingFetch();
    const opts = {
      model: google(key, fetch)("mock-small"),
      prompt: askForTool("weather"),
      tools: { weather },
      stopWhen: isStepCount(2),
      maxOutputTokens: 64,
    };
    let steps;
    if (stream) {
      const res = streamText(opts);
      for await (const _ of res.textStream);
      steps = await res.steps;
    } else steps = (await generateText(opts)).steps;
    expect(steps).toHaveLength(2);
    expect(steps[0]?.toolCalls.map((c) => [c.toolName, c.input])).toEqual([["weather", { city: "mock" }]]);
    expect(steps[1]?.text).toMatch(/^Mock/);
    expect(attempts).toHaveLength(2);
    await expectSettled(
      t,
      steps.map((s) => usageOf(s.usage)),
    );
  });

  it("embedMany returns the mock's vectors and is charged", async () => {
    const { t, key } = await clientTenant();
    const { fetch } = countingFetch();
    const many = await embedMany({ model: google(key, fetch).embedding("mock-embed"), values: ["a", "b"] });
    expect(many.embeddings.map((e) => e.length)).toEqual([8, 8]);
    await eventually(async () => expect(await ledger(t).counter("tenant", today())).toMatchObject({ reserved: 0, requests: 1 }));
  });
});

describe("@google/genai", () => {
  const genai = (apiKey: string, fetch: typeof globalThis.fetch) => new GoogleGenAI({ apiKey, httpOptions: { baseUrl: GUARD, fetch } });
  const tools = [
    {
      functionDeclarations: [
        { name: "weather", parametersJsonSchema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] } },
      ],
    },
  ];
  const usageOf = (r: GenerateContentResponse | undefined) => ({
    input: r?.usageMetadata?.promptTokenCount ?? -1,
    output: r?.usageMetadata?.candidatesTokenCount ?? -1,
  });

  it.each([false, true])("a function-call round trip (streamed: %s)", async (stream) => {
    const { t, key } = await clientTenant();
    const { fetch, attempts } = countingFetch();
    const ai = genai(key, fetch);
    const contents: Content[] = [{ role: "user", parts: [{ text: askForTool("weather") }] }];
    const send = async () => {
      const req = { model: "mock-small", contents, config: { tools, maxOutputTokens: 64 } };
      if (!stream) return ai.models.generateContent(req);
      let last: GenerateContentResponse | undefined;
      let text = "";
      const calls = [];
      for await (const chunk of await ai.models.generateContentStream(req)) {
        last = chunk;
        text += chunk.text ?? "";
        calls.push(...(chunk.functionCalls ?? []));
      }
      return { last, text, functionCalls: calls, candidates: last?.candidates, usageMetadata: last?.usageMetadata };
    };
    const first = await send();
    expect(first.functionCalls?.map((c) => [c.name, c.args])).toEqual([["weather", { city: "mock" }]]);
    const turn = first.candidates?.[0]?.content;
    if (!turn) throw new Error("no candidate");
    contents.push(turn, { role: "user", parts: [{ functionResponse: { name: "weather", response: { forecast: "sunny" } } }] });
    const second = await send();
    expect(second.text).toMatch(/^Mock/);
    expect(attempts).toHaveLength(2);
    await expectSettled(
      t,
      [first, second].map((r) => usageOf(r as GenerateContentResponse)),
    );
  });
});
