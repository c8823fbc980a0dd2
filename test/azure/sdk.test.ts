/**
 * The OpenAI SDK's `AzureOpenAI` client, pointed at the guard, works on Azure's REST shape:
 * deployments of the mock offline, and a configured deployment forwarded to its Azure resource
 * with the resource's `api-key`, priced as the model behind it. An unmapped deployment and a
 * missing api-version are 400s; nothing is spent.
 */
import { AzureOpenAI, BadRequestError } from "openai";
import { afterEach, describe, expect, it } from "vitest";
import * as fx from "../fixtures/upstream";
import { call, eventually, mockUpstream } from "../helpers/guard";
import { viaGuard } from "../helpers/gemini";
import { ledger, setup, today, ZERO } from "../helpers/traffic";

const API_VERSION = "2024-10-21";
const azure = (key: string) => new AzureOpenAI({ apiKey: key, baseURL: "https://guard.test/openai", apiVersion: API_VERSION, fetch: viaGuard, maxRetries: 0 });
const counter = (t: string) => ledger(t).counter("tenant", today());
const messages = [{ role: "user" as const, content: "Tell me about budgets." }];

let upstream: ReturnType<typeof mockUpstream> | undefined;
afterEach(() => {
  upstream?.restore();
  upstream = undefined;
});

describe("AzureOpenAI against the guard", () => {
  it("chat, streamed chat, embeddings and responses on mock deployments", async () => {
    const { t, key } = await setup();
    const client = azure(key);
    const completion = await client.chat.completions.create({ model: "mock-small", messages, max_tokens: 16 });
    expect(completion.choices[0]?.message.content).toMatch(/^Mock/);

    const stream = await client.chat.completions.create({ model: "mock-small", messages, max_tokens: 16, stream: true });
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
    expect(text).toMatch(/^Mock/);

    const emb = await client.embeddings.create({ model: "mock-embed", input: ["a", "b"] });
    expect(emb.data).toHaveLength(2);
    const response = await client.responses.create({ model: "mock-small", input: "Hi", max_output_tokens: 16 });
    expect(response.output_text).toMatch(/^Mock/);
    await eventually(async () => expect(await counter(t)).toMatchObject({ reserved: 0, requests: 4 }));
  });

  it("forwards a configured deployment to its resource with the api-key secret, priced as its model", async () => {
    upstream = mockUpstream(() => Response.json(fx.openaiChatJson));
    const { t, key } = await setup();
    const completion = await azure(key).chat.completions.create({ model: "prod-4o", messages, max_tokens: 500 });
    expect(completion.choices[0]?.message.content).toBe("Budgets are limits.");
    const out = upstream.calls[0]!;
    expect(out.url).toBe(`https://guard-test.openai.azure.com/openai/deployments/prod-4o/chat/completions?api-version=${API_VERSION}`);
    expect(out.headers.get("api-key")).toBe("test-azure-secret");
    expect(out.headers.get("authorization")).toBeNull();
    expect(out.url + [...out.headers.values()].join() + out.body).not.toContain(key);
    // Priced as gpt-4o, the model behind the deployment.
    await eventually(async () => expect(await counter(t)).toEqual({ spent: fx.openaiChatJsonCost, reserved: 0, requests: 1 }));
  });

  it("streams a configured deployment and settles from the usage it asked for", async () => {
    upstream = mockUpstream(() => fx.sseResponse(fx.openaiChatStream({ usage: true })));
    const { t, key } = await setup();
    const stream = await azure(key).chat.completions.create({ model: "prod-4o", messages, max_tokens: 100, stream: true });
    let sawUsage = false;
    for await (const chunk of stream) if (chunk.usage) sawUsage = true;
    expect(sawUsage).toBe(false);
    expect(JSON.parse(upstream.calls[0]!.body)).toMatchObject({ model: "prod-4o", stream_options: { include_usage: true } });
    await eventually(async () => expect(await counter(t)).toEqual({ spent: fx.openaiChatStreamCost, reserved: 0, requests: 1 }));
  });

  it("refuses an unmapped deployment naming it, and a call without api-version", async () => {
    const { t, key } = await setup();
    const err = await azure(key)
      .chat.completions.create({ model: "nobody-deployed-this", messages, max_tokens: 16 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadRequestError);
    expect((err as BadRequestError).message).toContain("nobody-deployed-this");
    const res = await call("/openai/deployments/prod-4o/chat/completions", {
      method: "POST",
      headers: { "api-key": key, "content-type": "application/json" },
      body: JSON.stringify({ messages, max_tokens: 16 }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { param: string } }).error.param).toBe("api-version");
    expect(await counter(t)).toEqual(ZERO);
  });
});
