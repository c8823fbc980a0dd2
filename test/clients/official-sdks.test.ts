/**
 * The official OpenAI and Anthropic SDKs beyond test/sdk.test.ts (plain calls,
 * streams, embeddings, the block): a stream's cost settled at the usage the
 * SDK saw, and a tool round trip on chat, Responses and Messages, streamed and not.
 */
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { describe, expect, it } from "vitest";
import { askForTool, clientTenant, expectSettled, GUARD, viaGuard } from "../helpers/clients";

const forecast = (city: string) => JSON.stringify({ city, forecast: "sunny", celsius: 21 });
const parameters = { type: "object", properties: { city: { type: "string" } }, required: ["city"], additionalProperties: false };

async function openai() {
  const { t, key } = await clientTenant();
  return { t, client: new OpenAI({ apiKey: key, baseURL: `${GUARD}/v1`, fetch: viaGuard, maxRetries: 0 }) };
}

describe("official OpenAI SDK", () => {
  it("a streamed chat that asked for usage is settled at that usage", async () => {
    const { t, client } = await openai();
    const stream = await client.chat.completions.create({
      model: "mock-small",
      messages: [{ role: "user", content: "Hi" }],
      max_tokens: 100,
      stream: true,
      stream_options: { include_usage: true },
    });
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) usage = chunk.usage ?? usage;
    if (!usage) throw new Error("no usage chunk");
    await expectSettled(t, [{ input: usage.prompt_tokens, output: usage.completion_tokens }]);
  });

  it.each([false, true])("chat tool round trip (streamed: %s)", async (stream) => {
    const { t, client } = await openai();
    const tools: OpenAI.ChatCompletionTool[] = [{ type: "function", function: { name: "weather", parameters } }];
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: "user", content: askForTool("weather") }];
    const opts = { model: "mock-small", tools, max_tokens: 64, stream_options: stream ? { include_usage: true } : undefined };
    const run = stream
      ? client.chat.completions.stream({ ...opts, messages }).finalChatCompletion()
      : client.chat.completions.create({ ...opts, messages });
    const first = await run;
    const call = first.choices[0]?.message.tool_calls?.[0];
    expect(first.choices[0]?.finish_reason).toBe("tool_calls");
    if (call?.type !== "function") throw new Error("no function call");
    expect([call.function.name, JSON.parse(call.function.arguments)]).toEqual(["weather", { city: "mock" }]);
    messages.push(first.choices[0]!.message, { role: "tool", tool_call_id: call.id, content: forecast("mock") });
    const second = stream
      ? await client.chat.completions.stream({ ...opts, messages }).finalChatCompletion()
      : await client.chat.completions.create({ ...opts, messages });
    expect(second.choices[0]?.message.content).toMatch(/^Mock/);
    await expectSettled(
      t,
      [first, second].map((c) => ({ input: c.usage?.prompt_tokens ?? -1, output: c.usage?.completion_tokens ?? -1 })),
    );
  });

  it.each([false, true])("Responses tool round trip (streamed: %s)", async (stream) => {
    const { t, client } = await openai();
    const tools: OpenAI.Responses.Tool[] = [{ type: "function", name: "weather", parameters, strict: true }];
    const input: OpenAI.Responses.ResponseInput = [{ role: "user", content: askForTool("weather") }];
    const send = () =>
      stream
        ? client.responses.stream({ model: "mock-small", input, tools, max_output_tokens: 64 }).finalResponse()
        : client.responses.create({ model: "mock-small", input, tools, max_output_tokens: 64 });
    const first = await send();
    const call = first.output.find((o) => o.type === "function_call");
    if (call?.type !== "function_call") throw new Error("no function call");
    expect([call.name, JSON.parse(call.arguments)]).toEqual(["weather", { city: "mock" }]);
    input.push(call, { type: "function_call_output", call_id: call.call_id, output: forecast("mock") });
    const second = await send();
    expect(second.output_text).toMatch(/^Mock/);
    await expectSettled(
      t,
      [first, second].map((r) => ({ input: r.usage?.input_tokens ?? -1, output: r.usage?.output_tokens ?? -1 })),
    );
  });
});

describe("official Anthropic SDK", () => {
  it("a stream is settled at the usage its final message reports", async () => {
    const { t, key } = await clientTenant();
    const client = new Anthropic({ apiKey: key, baseURL: GUARD, fetch: viaGuard, maxRetries: 0 });
    const final = await client.messages
      .stream({ model: "mock-small", max_tokens: 100, messages: [{ role: "user", content: "Hi" }] })
      .finalMessage();
    await expectSettled(t, [{ input: final.usage.input_tokens, output: final.usage.output_tokens }]);
  });

  it.each([false, true])("Messages tool round trip (streamed: %s)", async (stream) => {
    const { t, key } = await clientTenant();
    const client = new Anthropic({ apiKey: key, baseURL: GUARD, fetch: viaGuard, maxRetries: 0 });
    const tools: Anthropic.Tool[] = [
      { name: "weather", input_schema: { type: "object", properties: parameters.properties, required: ["city"] } },
    ];
    const messages: Anthropic.MessageParam[] = [{ role: "user", content: askForTool("weather") }];
    const send = () =>
      stream
        ? client.messages.stream({ model: "mock-small", max_tokens: 64, tools, messages }).finalMessage()
        : client.messages.create({ model: "mock-small", max_tokens: 64, tools, messages });
    const first = await send();
    expect(first.stop_reason).toBe("tool_use");
    const use = first.content.find((b) => b.type === "tool_use");
    if (use?.type !== "tool_use") throw new Error("no tool_use block");
    expect([use.name, use.input]).toEqual(["weather", { city: "mock" }]);
    messages.push(
      { role: "assistant", content: first.content },
      { role: "user", content: [{ type: "tool_result", tool_use_id: use.id, content: forecast("mock") }] },
    );
    const second = await send();
    expect(second.content[0]?.type === "text" && second.content[0].text).toMatch(/^Mock/);
    await expectSettled(
      t,
      [first, second].map((m) => ({ input: m.usage.input_tokens, output: m.usage.output_tokens })),
    );
  });
});
