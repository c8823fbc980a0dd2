/**
 * LangChain JS (`@langchain/openai` on chat completions and on Responses,
 * `@langchain/anthropic`) works against the guard changed only in the base
 * URL and key: a plain call, a stream whose cost is settled exactly, a tool
 * round trip (streamed and not) and embeddings. Blocks: no-retry-on-block.test.ts.
 */
import { ChatAnthropic } from "@langchain/anthropic";
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { AIMessage, AIMessageChunk, HumanMessage, type BaseMessage } from "@langchain/core/messages";
import { tool } from "@langchain/core/tools";
import { ChatOpenAI, OpenAIEmbeddings } from "@langchain/openai";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { askForTool, clientTenant, countingFetch, expectSettled, GUARD } from "../helpers/clients";
import { eventually } from "../helpers/guard";
import { ledger, today } from "../helpers/traffic";

type Flavour = "openai chat" | "openai responses" | "anthropic";

/** A chat model of the flavour, pointed at the guard, with a fetch that records each attempt. */
export function langchainModel(flavour: Flavour, apiKey: string, f: typeof fetch, maxTokens = 64): BaseChatModel {
  if (flavour === "anthropic")
    return new ChatAnthropic({ model: "mock-small", apiKey, anthropicApiUrl: GUARD, clientOptions: { fetch: f }, maxTokens });
  return new ChatOpenAI({
    model: "mock-small",
    apiKey,
    maxTokens,
    useResponsesApi: flavour === "openai responses",
    configuration: { baseURL: `${GUARD}/v1`, fetch: f },
  });
}

const weather = tool(async ({ city }) => JSON.stringify({ city, forecast: "sunny", celsius: 21 }), {
  name: "weather",
  description: "The weather in a city",
  schema: z.object({ city: z.string() }),
});

/**
 * The usage the client reports. ChatAnthropic's streamed usage adds `message_start`'s output_tokens (the
 * mock sends 1, as Anthropic does) to `message_delta`'s, which is already the total; the guard bills the
 * total, so a streamed Anthropic answer reports one output token more than was billed.
 */
const usageOf = (m: AIMessage, anthropicStream = false) => ({
  input: m.usage_metadata?.input_tokens ?? -1,
  output: (m.usage_metadata?.output_tokens ?? 0) - (anthropicStream ? 1 : 0),
});

async function streamed(model: BaseChatModel | ReturnType<NonNullable<BaseChatModel["bindTools"]>>, input: BaseMessage[]) {
  let all: AIMessageChunk | undefined;
  for await (const chunk of await model.stream(input)) all = all ? all.concat(chunk) : chunk;
  if (!all) throw new Error("empty stream");
  return all;
}

describe.each<Flavour>(["openai chat", "openai responses", "anthropic"])("LangChain, %s", (flavour) => {
  it("a plain call answers with the mock's text and its usage is what the ledger settled", async () => {
    const { t, key } = await clientTenant();
    const { fetch, attempts } = countingFetch();
    const res = await langchainModel(flavour, key, fetch, 16).invoke("Hi");
    expect(res.text).toMatch(/^Mock/);
    expect(attempts).toHaveLength(1);
    await expectSettled(t, [usageOf(res)]);
  });

  it("a streamed call is settled at the usage the stream reported", async () => {
    const { t, key } = await clientTenant();
    const { fetch } = countingFetch();
    const all = await streamed(langchainModel(flavour, key, fetch, 200), [new HumanMessage("Hi")]);
    expect(all.text).toMatch(/^Mock/);
    expect(all.usage_metadata?.output_tokens).toBeGreaterThan(0);
    await expectSettled(t, [usageOf(all, flavour === "anthropic")]);
  });

  it.each([false, true])("a tool round trip (streamed: %s): the mock calls the tool, the second turn answers in text", async (stream) => {
    const { t, key } = await clientTenant();
    const { fetch, attempts } = countingFetch();
    const model = langchainModel(flavour, key, fetch).bindTools?.([weather]);
    if (!model) throw new Error("no bindTools");
    const history: BaseMessage[] = [new HumanMessage(askForTool("weather"))];
    const first = stream ? await streamed(model, history) : await model.invoke(history);
    expect(first.tool_calls?.map((c) => [c.name, c.args])).toEqual([["weather", { city: "mock" }]]);
    const call = first.tool_calls?.[0];
    if (!call) throw new Error("no tool call");
    history.push(first, await weather.invoke(call));
    const second = stream ? await streamed(model, history) : await model.invoke(history);
    expect(second.tool_calls ?? []).toEqual([]);
    expect(second.text).toMatch(/^Mock/);
    expect(attempts).toHaveLength(2);
    await expectSettled(t, [usageOf(first, stream && flavour === "anthropic"), usageOf(second, stream && flavour === "anthropic")]);
  });
});

describe("LangChain, OpenAI embeddings", () => {
  it("embedQuery and embedDocuments return the mock's vectors and are charged", async () => {
    const { t, key } = await clientTenant();
    const { fetch, attempts } = countingFetch();
    const emb = new OpenAIEmbeddings({ model: "mock-embed", apiKey: key, configuration: { baseURL: `${GUARD}/v1`, fetch } });
    const one = await emb.embedQuery("hello");
    expect(one).toHaveLength(8);
    const docs = await emb.embedDocuments(["a", "b", "c"]);
    expect(docs).toHaveLength(3);
    expect(attempts).toHaveLength(2);
    await eventually(async () => {
      const c = await ledger(t).counter("tenant", today());
      expect(c).toMatchObject({ reserved: 0, requests: 2 });
      expect(c.spent).toBeGreaterThan(0);
    });
  });
});
