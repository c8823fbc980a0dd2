/**
 * The Vercel AI SDK (`ai` with `@ai-sdk/openai` chat and Responses, and
 * `@ai-sdk/anthropic`) works against the guard changed only in `baseURL` and
 * key: a plain call, a stream whose cost is settled exactly, a tool round
 * trip (streamed and not) and embeddings. Blocks: no-retry-on-block.test.ts.
 */
import { createAnthropic } from "@ai-sdk/anthropic";
import { createOpenAI } from "@ai-sdk/openai";
import { embed, embedMany, generateText, isStepCount, streamText, tool, type LanguageModel } from "ai";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { askForTool, clientTenant, countingFetch, expectSettled, GUARD } from "../helpers/clients";
import { eventually } from "../helpers/guard";
import { ledger, today } from "../helpers/traffic";

type Flavour = "openai chat" | "openai responses" | "anthropic";

/** A model of the flavour, pointed at the guard, with a fetch that records each attempt. */
function modelFor(flavour: Flavour, apiKey: string): { model: LanguageModel; attempts: string[] } {
  const { fetch, attempts } = countingFetch();
  if (flavour === "anthropic") return { model: createAnthropic({ baseURL: `${GUARD}/v1`, apiKey, fetch })("mock-small"), attempts };
  const openai = createOpenAI({ baseURL: `${GUARD}/v1`, apiKey, fetch });
  return { model: flavour === "openai chat" ? openai.chat("mock-small") : openai.responses("mock-small"), attempts };
}

const weather = tool({
  description: "The weather in a city",
  inputSchema: z.object({ city: z.string() }),
  execute: async ({ city }) => ({ city, forecast: "sunny", celsius: 21 }),
});

const usageOf = (u: { inputTokens: number | undefined; outputTokens: number | undefined }) => ({
  input: u.inputTokens ?? -1,
  output: u.outputTokens ?? -1,
});

describe.each<Flavour>(["openai chat", "openai responses", "anthropic"])("AI SDK, %s", (flavour) => {
  it("a plain call answers with the mock's text and its usage is what the ledger settled", async () => {
    const { t, key } = await clientTenant();
    const { model, attempts } = modelFor(flavour, key);
    const res = await generateText({ model, prompt: "Hi", maxOutputTokens: 16 });
    expect(res.text).toMatch(/^Mock/);
    expect(attempts).toHaveLength(1);
    await expectSettled(t, [usageOf(res.usage)]);
  });

  it("a streamed call is settled at the usage the stream reported", async () => {
    const { t, key } = await clientTenant();
    const { model } = modelFor(flavour, key);
    const res = streamText({ model, prompt: "Hi", maxOutputTokens: 200 });
    let text = "";
    for await (const delta of res.textStream) text += delta;
    expect(text).toMatch(/^Mock/);
    const usage = await res.usage;
    expect(usage.outputTokens).toBeGreaterThan(0);
    await expectSettled(t, [usageOf(usage)]);
  });

  it("a tool round trip: the mock calls the tool, the SDK runs it, the second turn answers in text", async () => {
    const { t, key } = await clientTenant();
    const { model, attempts } = modelFor(flavour, key);
    const res = await generateText({
      model,
      prompt: askForTool("weather"),
      tools: { weather },
      stopWhen: isStepCount(2),
      maxOutputTokens: 64,
    });
    expect(res.steps).toHaveLength(2);
    expect(res.steps[0]?.toolCalls.map((c) => [c.toolName, c.input])).toEqual([["weather", { city: "mock" }]]);
    expect(res.steps[0]?.toolResults[0]?.output).toEqual({ city: "mock", forecast: "sunny", celsius: 21 });
    expect(res.text).toMatch(/^Mock/);
    expect(attempts).toHaveLength(2);
    await expectSettled(
      t,
      res.steps.map((s) => usageOf(s.usage)),
    );
  });

  it("a streamed tool round trip, with the arguments the marker spelled out", async () => {
    const { t, key } = await clientTenant();
    const { model } = modelFor(flavour, key);
    const res = streamText({
      model,
      prompt: 'Weather? [[tool:weather {"city": "Oslo"}]]',
      tools: { weather },
      stopWhen: isStepCount(2),
      maxOutputTokens: 64,
    });
    let text = "";
    for await (const delta of res.textStream) text += delta;
    const steps = await res.steps;
    expect(steps[0]?.toolCalls.map((c) => c.input)).toEqual([{ city: "Oslo" }]);
    expect(steps[0]?.toolResults[0]?.output).toMatchObject({ city: "Oslo" });
    expect(text).toMatch(/^Mock/);
    await expectSettled(
      t,
      steps.map((s) => usageOf(s.usage)),
    );
  });
});

describe("AI SDK, openai embeddings", () => {
  it("embed and embedMany return the mock's vectors and are charged", async () => {
    const { t, key } = await clientTenant();
    const { fetch } = countingFetch();
    const model = createOpenAI({ baseURL: `${GUARD}/v1`, apiKey: key, fetch }).embedding("mock-embed");
    const one = await embed({ model, value: "hello" });
    expect(one.embedding).toHaveLength(8);
    const many = await embedMany({ model, values: ["a", "b", "c"] });
    expect(many.embeddings).toHaveLength(3);
    expect(many.embeddings[0]).toEqual((await embed({ model, value: "a" })).embedding);
    await eventually(async () => {
      const c = await ledger(t).counter("tenant", today());
      expect(c).toMatchObject({ reserved: 0, requests: 3 });
      expect(c.spent).toBeGreaterThan(0);
    });
  });
});
