/**
 * Every LLM route and provider, replaying real-shaped answers through the
 * outbound mock; each test checks the settled cost to the micro-dollar.
 */
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import { windowsAt } from "../src/budget/windows";
import * as fx from "./fixtures/upstream";
import { call, createKey, createTenant, eventually, mockUpstream } from "./helpers/guard";

const today = () => windowsAt(Date.now()).daily.key;
const ledger = (tenant: string) => env.TENANT_LEDGER.getByName(tenant);

let upstream: ReturnType<typeof mockUpstream> | undefined;
afterEach(() => {
  upstream?.restore();
  upstream = undefined;
});

async function setup(config: Record<string, unknown> = { limits: { daily: 10 } }) {
  const t = await createTenant(config);
  const key = await createKey(t, { name: "k", role: "user", userId: "u" });
  return { t, key };
}

function post(path: string, key: string, body: unknown, headers: Record<string, string> = {}) {
  return call(path, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
}

async function settled(t: string, cost: number) {
  await eventually(async () => expect(await ledger(t).counter("tenant", today())).toEqual({ spent: cost, reserved: 0, requests: 1 }));
}

const messages = [{ role: "user", content: "Tell me about budgets." }];

describe("OpenAI chat completions", () => {
  it("settles cached input and reasoning tokens from a JSON answer", async () => {
    upstream = mockUpstream(() => Response.json(fx.openaiChatJson));
    const { t, key } = await setup();
    const res = await post("/v1/chat/completions", key, { model: "gpt-4o", messages, max_tokens: 500 });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(fx.openaiChatJson);
    await settled(t, fx.openaiChatJsonCost);
  });

  it("asks for usage in a stream and hides the usage chunk from a client that did not ask", async () => {
    upstream = mockUpstream(() => fx.sseResponse(fx.openaiChatStream({ usage: true })));
    const { t, key } = await setup();
    const res = await post("/v1/chat/completions", key, { model: "gpt-4o", messages, max_tokens: 100, stream: true });
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const text = await res.text();
    expect(JSON.parse(upstream.calls[0]!.body)).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    expect(text).toContain("Budgets");
    expect(text).not.toContain('"prompt_tokens"');
    expect(text.trim().endsWith("data: [DONE]")).toBe(true);
    await settled(t, fx.openaiChatStreamCost);
  });

  it("passes the usage chunk to a client that asked for it", async () => {
    upstream = mockUpstream(() => fx.sseResponse(fx.openaiChatStream({ usage: true })));
    const { t, key } = await setup();
    const res = await post("/v1/chat/completions", key, {
      model: "gpt-4o",
      messages,
      max_tokens: 100,
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(await res.text()).toContain('"prompt_tokens":50');
    await settled(t, fx.openaiChatStreamCost);
  });

  it("settles on what was streamed when an error event ends the stream without usage", async () => {
    upstream = mockUpstream(() => fx.sseResponse(fx.openaiChatStreamWithError));
    const { t, key } = await setup();
    const res = await post("/v1/chat/completions", key, { model: "gpt-4o", messages, max_tokens: 100, stream: true });
    expect(await res.text()).toContain("server_error");
    await eventually(async () => {
      const c = await ledger(t).counter("tenant", today());
      expect(c.reserved).toBe(0);
      // Input counted exactly, plus the streamed words: more than nothing, less than the full reservation.
      expect(c.spent).toBeGreaterThan(0);
      expect(c.spent).toBeLessThan(100 * 10 + 50 * 2.5);
    });
  });

  it("settles on what was streamed when the upstream connection breaks", async () => {
    upstream = mockUpstream(() => fx.sseResponse(fx.openaiChatStream({ usage: true }), { cutAfter: 3 }));
    const { t, key } = await setup();
    const res = await post("/v1/chat/completions", key, { model: "gpt-4o", messages, max_tokens: 100, stream: true });
    await expect(res.text()).rejects.toThrow();
    await eventually(async () => {
      const c = await ledger(t).counter("tenant", today());
      expect(c.reserved).toBe(0);
      expect(c.spent).toBeGreaterThan(0);
    });
  });

  it("settles on what was streamed when the client disconnects", async () => {
    const enc = new TextEncoder();
    upstream = mockUpstream(
      () =>
        new Response(
          new ReadableStream({
            async pull(controller) {
              controller.enqueue(enc.encode(`data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: " more words" } }] })}\n\n`));
              await new Promise((r) => setTimeout(r, 5));
            },
          }),
          { headers: { "content-type": "text/event-stream" } },
        ),
    );
    const { t, key } = await setup();
    const res = await post("/v1/chat/completions", key, { model: "gpt-4o", messages, max_tokens: 1000, stream: true });
    const reader = res.body!.getReader();
    await reader.read();
    await reader.read();
    await reader.cancel();
    await eventually(async () => {
      const c = await ledger(t).counter("tenant", today());
      expect(c.reserved).toBe(0);
      expect(c.spent).toBeGreaterThan(0);
      expect(c.spent).toBeLessThan(1000 * 10);
    });
  });
});

describe("OpenAI Responses", () => {
  it("settles a JSON answer", async () => {
    upstream = mockUpstream(() => Response.json(fx.responsesJson));
    const { t, key } = await setup();
    const res = await post("/v1/responses", key, { model: "gpt-4.1", input: "Hi", max_output_tokens: 500 });
    expect(res.status).toBe(200);
    expect(upstream.calls[0]!.url).toBe("https://api.openai.com/v1/responses");
    await settled(t, fx.responsesJsonCost);
  });

  it("settles a stream from response.completed", async () => {
    upstream = mockUpstream(() => fx.sseResponse(fx.responsesStream));
    const { t, key } = await setup();
    const res = await post("/v1/responses", key, {
      model: "gpt-4.1",
      input: [{ role: "user", content: "Hi" }],
      max_output_tokens: 500,
      stream: true,
    });
    expect(await res.text()).toContain("response.completed");
    await settled(t, fx.responsesJsonCost);
  });
});

describe("OpenAI embeddings", () => {
  it("budgets input tokens only", async () => {
    upstream = mockUpstream(() => Response.json(fx.embeddingsJson));
    const { t, key } = await setup();
    const res = await post("/v1/embeddings", key, { model: "text-embedding-3-small", input: ["some text", "more text"] });
    expect(res.status).toBe(200);
    await settled(t, fx.embeddingsJsonCost);
  });
});

describe("Anthropic messages", () => {
  it("forwards with the Anthropic key and settles cache reads and writes", async () => {
    upstream = mockUpstream(() => Response.json(fx.anthropicJson));
    const { t, key } = await setup();
    const res = await post(
      "/v1/messages",
      key,
      { model: "claude-sonnet-4-5", max_tokens: 1024, messages },
      { "anthropic-version": "2023-06-01" },
    );
    expect(res.status).toBe(200);
    const sent = upstream.calls[0]!;
    expect(sent.url).toBe("https://api.anthropic.com/v1/messages");
    expect(sent.headers.get("x-api-key")).toBe("sk-ant-test-secret");
    expect(sent.headers.get("anthropic-version")).toBe("2023-06-01");
    await settled(t, fx.anthropicJsonCost);
  });

  it("settles a stream from message_start and message_delta", async () => {
    upstream = mockUpstream(() => fx.sseResponse(fx.anthropicStream));
    const { t, key } = await setup();
    const res = await post(
      "/v1/messages",
      key,
      { model: "claude-sonnet-4-5", max_tokens: 1024, messages, stream: true },
      { "x-api-key": key },
    );
    expect(await res.text()).toContain("message_stop");
    await settled(t, fx.anthropicJsonCost);
  });

  it("speaks Anthropic's error shape, including for a budget block", async () => {
    const { key } = await setup({ limits: { daily: 0.000001 } });
    const res = await post("/v1/messages", key, { model: "claude-sonnet-4-5", max_tokens: 1024, messages });
    expect(res.status).toBe(402);
    expect(await res.json()).toMatchObject({
      type: "error",
      error: { type: "billing_error", message: expect.stringMatching(/^Daily budget/) },
    });
    const bad = await post("/v1/messages", key, { model: "claude-sonnet-4-5", messages });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ type: "error", error: { type: "invalid_request_error" } });
  });
});

describe("the mock provider in every dialect", () => {
  it.each([
    ["/v1/chat/completions", { model: "mock-small", messages, max_tokens: 20 }],
    ["/v1/chat/completions", { model: "mock-small", messages, max_tokens: 20, stream: true }],
    ["/v1/responses", { model: "mock-small", input: "Hi", max_output_tokens: 20 }],
    ["/v1/responses", { model: "mock-small", input: "Hi", max_output_tokens: 20, stream: true }],
    ["/v1/embeddings", { model: "mock-embed", input: "Hi" }],
    ["/v1/messages", { model: "mock-small", messages, max_tokens: 20 }],
    ["/v1/messages", { model: "mock-small", messages, max_tokens: 20, stream: true }],
  ])("%s %j", async (path, body) => {
    const { t, key } = await setup();
    const res = await post(path, key, body);
    expect(res.status).toBe(200);
    await res.text();
    await eventually(async () => {
      const c = await ledger(t).counter("tenant", today());
      expect(c.reserved).toBe(0);
      expect(c.requests).toBe(1);
      expect(c.spent).toBeGreaterThan(0);
    });
  });

  it("honours x-mock-fail by releasing the reservation", async () => {
    const { t, key } = await setup();
    const res = await post("/v1/chat/completions", key, { model: "mock-small", messages, max_tokens: 20 }, { "x-mock-fail": "503" });
    expect(res.status).toBe(503);
    await eventually(async () => expect(await ledger(t).counter("tenant", today())).toEqual({ spent: 0, reserved: 0, requests: 0 }));
  });
});

describe("billing headers (forwardHeaders allow-list)", () => {
  const billing = { "openai-organization": "org-elsewhere", "openai-project": "proj-elsewhere", "anthropic-beta": "context-1m-2025-08-07" };

  it("never passes openai-organization, openai-project or anthropic-beta with the default config", async () => {
    upstream = mockUpstream((r) => Response.json(r.url.endsWith("/messages") ? fx.anthropicJson : fx.openaiChatJson));
    const { key } = await setup();
    expect((await post("/v1/chat/completions", key, { model: "gpt-4o", messages, max_tokens: 500 }, billing)).status).toBe(200);
    expect((await post("/v1/messages", key, { model: "claude-sonnet-4-5", max_tokens: 1024, messages }, billing)).status).toBe(200);
    const [chat, msgs] = upstream.calls;
    for (const h of Object.keys(billing)) {
      expect(chat!.headers.get(h)).toBeNull();
      expect(msgs!.headers.get(h)).toBeNull();
    }
    // Not a billing header: the API version the client speaks still passes.
    expect(msgs!.headers.get("anthropic-version")).toBe("2023-06-01");
  });

  it("passes exactly the headers the tenant's forwardHeaders lists", async () => {
    upstream = mockUpstream((r) => Response.json(r.url.endsWith("/messages") ? fx.anthropicJson : fx.openaiChatJson));
    const { key } = await setup({ limits: { daily: 10 }, forwardHeaders: ["anthropic-beta"] });
    expect((await post("/v1/messages", key, { model: "claude-sonnet-4-5", max_tokens: 1024, messages }, billing)).status).toBe(200);
    expect((await post("/v1/chat/completions", key, { model: "gpt-4o", messages, max_tokens: 500 }, billing)).status).toBe(200);
    const [msgs, chat] = upstream.calls;
    expect(msgs!.headers.get("anthropic-beta")).toBe("context-1m-2025-08-07");
    expect(chat!.headers.get("openai-organization")).toBeNull();
    expect(chat!.headers.get("openai-project")).toBeNull();
  });
});

describe("billing hints reach the reservation and the forwarded body", () => {
  it("a Claude web_search tool without max_uses is forwarded with the guard's max_uses", async () => {
    upstream = mockUpstream(() => Response.json(fx.anthropicJson));
    const { key } = await setup();
    const tools = [{ type: "web_search_20250305", name: "web_search" }];
    const res = await post("/v1/messages", key, { model: "claude-sonnet-4-5", max_tokens: 1024, messages, tools });
    expect(res.status).toBe(200);
    expect(JSON.parse(upstream.calls[0]!.body)).toMatchObject({ tools: [{ type: "web_search_20250305", max_uses: 5 }] });
  });

  it("a billed unit the guard cannot price is a 400 naming it, and nothing is sent", async () => {
    upstream = mockUpstream(() => Response.json(fx.openaiChatJson));
    const { t, key } = await setup();
    const res = await post("/v1/chat/completions", key, { model: "gpt-4o", messages, max_tokens: 50, web_search_options: {} });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: "unpriced_unit", message: expect.stringContaining("web_search_options") } });
    expect(upstream.calls).toHaveLength(0);
    expect(await ledger(t).counter("tenant", today())).toEqual({ spent: 0, reserved: 0, requests: 0 });
  });
});

describe("OpenAI-compatible providers and prices", () => {
  it("routes provider/model to the configured base URL with its own secret", async () => {
    upstream = mockUpstream(() =>
      Response.json({ ...fx.openaiChatJson, usage: { prompt_tokens: 1000, completion_tokens: 1000, total_tokens: 2000 } }),
    );
    const { t, key } = await setup({ limits: { daily: 10 }, prices: { "compat/llama-3.3-70b": { input: 0.59, output: 0.79 } } });
    const res = await post("/v1/chat/completions", key, { model: "compat/llama-3.3-70b", messages, max_tokens: 1000 });
    expect(res.status).toBe(200);
    const sent = upstream.calls[0]!;
    expect(sent.url).toBe("https://compat.example/v1/chat/completions");
    expect(sent.headers.get("authorization")).toBe("Bearer sk-compat-secret");
    expect(JSON.parse(sent.body)).toMatchObject({ model: "llama-3.3-70b" });
    await settled(t, 590 + 790);
  });

  it("refuses a model with no price, naming it and how to price it", async () => {
    upstream = mockUpstream(() => Response.json({}));
    const { key } = await setup();
    const res = await post("/v1/chat/completions", key, { model: "compat/unpriced-model", messages, max_tokens: 10 });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("model_not_priced");
    expect(body.error.message).toContain('"compat/unpriced-model"');
    expect(body.error.message).toContain('"prices"');
    expect(upstream.calls).toHaveLength(0);
  });

  it("uses the tenant's fallback price for unpriced models", async () => {
    upstream = mockUpstream(() =>
      Response.json({ ...fx.openaiChatJson, usage: { prompt_tokens: 1000, completion_tokens: 0, total_tokens: 1000 } }),
    );
    const { t, key } = await setup({ limits: { daily: 10 }, prices: { "*": { input: 1, output: 2 } } });
    expect((await post("/v1/chat/completions", key, { model: "compat/anything", messages, max_tokens: 10 })).status).toBe(200);
    await settled(t, 1000);
  });

  it("lets a tenant's negotiated price override the table", async () => {
    upstream = mockUpstream(() => Response.json(fx.openaiChatJson));
    const { t, key } = await setup({ limits: { daily: 10 }, prices: { "gpt-4o": { input: 1, cachedInput: 0.5, output: 5 } } });
    await post("/v1/chat/completions", key, { model: "gpt-4o", messages, max_tokens: 500 });
    await settled(t, 200 * 1 + 1000 * 0.5 + 300 * 5);
  });
});

describe("routes", () => {
  it("lists routable, priced models in OpenAI's list shape", async () => {
    const { key } = await setup();
    const res = await call("/v1/models", { headers: { authorization: `Bearer ${key}` } });
    const body = (await res.json()) as { object: string; data: { id: string; object: string; owned_by: string }[] };
    expect(body.object).toBe("list");
    const ids = body.data.map((m) => m.id);
    expect(ids).toEqual(expect.arrayContaining(["mock-small", "mock-large", "mock-embed", "gpt-4o", "claude-sonnet-4-5"]));
    expect(body.data[0]).toMatchObject({ object: "model" });
  });

  it.each([
    ["/v1/completions", "openai"],
    ["/v1/files", "openai"],
    ["/v1/chat/completions/extra", "openai"],
    ["/v1/messages/count_tokens", "anthropic"],
  ])("404s %s in the %s shape, never passing it through", async (path, dialect) => {
    upstream = mockUpstream(() => Response.json({}));
    const { key } = await setup();
    const res = await post(path, key, {});
    expect(res.status).toBe(404);
    const body = (await res.json()) as Record<string, unknown>;
    if (dialect === "anthropic") expect(body).toMatchObject({ type: "error", error: { type: "not_found_error" } });
    else expect(body).toMatchObject({ error: { code: "unknown_route" } });
    expect(upstream.calls).toHaveLength(0);
  });
});
