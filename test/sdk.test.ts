/**
 * The official SDKs, changed only in `baseURL` and key, work against the
 * guard on every route, streaming and not (served by the built-in mock).
 */
import Anthropic from "@anthropic-ai/sdk";
import { exports } from "cloudflare:workers";
import OpenAI from "openai";
import { describe, expect, it } from "vitest";
import { createKey, createTenant } from "./helpers/guard";

// The SDKs' HTTP goes through the worker's fetch handler instead of the network.
const viaGuard = (input: string | URL | Request, init?: RequestInit) => exports.default.fetch(new Request(input, init));

async function keyFor(config: Record<string, unknown> = { limits: { daily: 10 } }) {
  const t = await createTenant(config);
  return createKey(t, { name: "sdk", role: "user", userId: "sdk-user" });
}

describe("official OpenAI SDK", () => {
  it("chat, streaming chat, responses, embeddings and models", async () => {
    const client = new OpenAI({ apiKey: await keyFor(), baseURL: "https://guard.test/v1", fetch: viaGuard, maxRetries: 0 });
    const completion = await client.chat.completions.create({
      model: "mock-small",
      messages: [{ role: "user", content: "Hi" }],
      max_tokens: 16,
    });
    expect(completion.choices[0]?.message.content).toMatch(/^Mock/);
    expect(completion.usage?.completion_tokens).toBeLessThanOrEqual(16);

    const stream = await client.chat.completions.create({
      model: "mock-small",
      messages: [{ role: "user", content: "Hi" }],
      max_tokens: 16,
      stream: true,
    });
    let text = "";
    let sawUsage = false;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? "";
      if (chunk.usage) sawUsage = true;
    }
    expect(text).toMatch(/^Mock/);
    expect(sawUsage).toBe(false);

    const response = await client.responses.create({ model: "mock-small", input: "Hi", max_output_tokens: 16 });
    expect(response.output_text).toMatch(/^Mock/);
    const rstream = await client.responses.create({ model: "mock-small", input: "Hi", max_output_tokens: 16, stream: true });
    let done = false;
    // Capped below the mock's answer, the stream ends as OpenAI does: response.incomplete.
    for await (const ev of rstream) if (ev.type === "response.completed" || ev.type === "response.incomplete") done = true;
    expect(done).toBe(true);

    const emb = await client.embeddings.create({ model: "mock-embed", input: ["a", "b"] });
    expect(emb.data).toHaveLength(2);
    expect(emb.data[0]?.embedding.length).toBe(8);

    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toContain("mock-small");
  });

  it("surfaces a budget block as a non-retried 402 APIError with the guard's code", async () => {
    const client = new OpenAI({ apiKey: await keyFor({ limits: { daily: 0.000001 } }), baseURL: "https://guard.test/v1", fetch: viaGuard });
    let calls = 0;
    const counting = new OpenAI({
      apiKey: client.apiKey,
      baseURL: "https://guard.test/v1",
      fetch: (input: string | URL | Request, init?: RequestInit) => {
        calls += 1;
        return viaGuard(input, init);
      },
    });
    const err = await counting.chat.completions
      .create({ model: "mock-small", messages: [{ role: "user", content: "Hi" }], max_tokens: 16 })
      .catch((e: unknown) => e);
    // The SDK has no class of its own for a 402 (a tenant with blockStatus 429 gets RateLimitError).
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(402);
    expect((err as InstanceType<typeof OpenAI.APIError>).code).toBe("tenant_daily_budget_exceeded");
    expect((err as InstanceType<typeof OpenAI.APIError>).type).toBe("budget_exceeded");
    // The SDK never retries a 402 (x-should-retry: false would stop it on a 429 too).
    expect(calls).toBe(1);
  });
});

describe("official Anthropic SDK", () => {
  it("messages, streaming and not", async () => {
    const client = new Anthropic({ apiKey: await keyFor(), baseURL: "https://guard.test", fetch: viaGuard, maxRetries: 0 });
    const msg = await client.messages.create({ model: "mock-small", max_tokens: 16, messages: [{ role: "user", content: "Hi" }] });
    expect(msg.content[0]?.type).toBe("text");
    expect(msg.usage.output_tokens).toBeLessThanOrEqual(16);

    const stream = client.messages.stream({ model: "mock-small", max_tokens: 16, messages: [{ role: "user", content: "Hi" }] });
    const final = await stream.finalMessage();
    expect(final.content[0]?.type === "text" && final.content[0].text).toMatch(/^Mock/);
    expect(final.usage.output_tokens).toBeGreaterThan(0);
  });

  it("surfaces a budget block as a non-retried PaymentRequiredError (Anthropic's billing_error)", async () => {
    let calls = 0;
    const client = new Anthropic({
      apiKey: await keyFor({ limits: { daily: 0.000001 } }),
      baseURL: "https://guard.test",
      fetch: (input: string | URL | Request, init?: RequestInit) => {
        calls += 1;
        return viaGuard(input, init);
      },
    });
    const err = await client.messages
      .create({ model: "mock-small", max_tokens: 16, messages: [{ role: "user", content: "Hi" }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.PaymentRequiredError);
    expect((err as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({ error: { type: "billing_error" } });
    expect(calls).toBe(1);
  });
});
