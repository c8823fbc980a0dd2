/**
 * Red team, unknown usage (issue 12): when the guard cannot read what the
 * provider billed (a stream cut before its usage arrived, an upstream
 * timeout, usage missing from the answer) it settles at the ceiling it
 * reserved, never at the visible part. The double bills the whole run: the
 * hidden reasoning of a reasoning model up to its cap, and the work of a call
 * the guard stopped waiting for.
 */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../../src/index";
import { call } from "../helpers/guard";
import { billingDouble, expectHeld, usd, type DoubleOptions } from "../helpers/billing-double";
import { post, restoreAfterEach, setup, withEnv } from "../helpers/traffic";

restoreAfterEach();

const LIMIT = 1;

function send(key: string, path: string, body: unknown): Promise<Response> {
  return call(path, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

/** Like withEnv, for a stream that may break: reads what arrives, then waits for the settlement. */
async function streamWithEnv(overrides: Record<string, unknown>, path: string, init: RequestInit): Promise<number> {
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(`https://guard.test${path}`, init), { ...env, ...overrides } as typeof env, ctx);
  await res.text().catch(() => "");
  await waitOnExecutionContext(ctx);
  return res.status;
}

/** Reads the stream until the first visible token has arrived, then goes away. */
async function readFirstTokenAndLeave(res: Response): Promise<void> {
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let seen = "";
  for (let i = 0; i < 50 && !seen.includes(" the"); i++) {
    const { value, done } = await reader.read();
    if (done) break;
    seen += decoder.decode(value, { stream: true });
  }
  expect(seen, "the first visible token arrived").toContain(" the");
  await reader.cancel();
}

const STREAMS: [string, string, Record<string, unknown>][] = [
  [
    "chat on o4-mini",
    "/v1/chat/completions",
    { model: "o4-mini", messages: [{ role: "user", content: "Think hard." }], max_completion_tokens: 4000, stream: true },
  ],
  ["Responses on o4-mini", "/v1/responses", { model: "o4-mini", input: "Think hard.", max_output_tokens: 4000, stream: true }],
  [
    "Messages with extended thinking",
    "/v1/messages",
    {
      model: "claude-haiku-4-5",
      max_tokens: 4000,
      thinking: { type: "enabled", budget_tokens: 3000 },
      messages: [{ role: "user", content: "Think hard." }],
      stream: true,
    },
  ],
];

describe("unknown usage settles at the ceiling", () => {
  it.each(STREAMS)(
    "%s: the client leaves after the first visible token → recorded ≥ the hidden reasoning billed",
    async (_n, path, body) => {
      const { t, key } = await setup({ limits: { daily: LIMIT } });
      const double = billingDouble({ stream: "hang-after-first-token" });
      const res = await send(key, path, body);
      expect(res.status).toBe(200);
      await readFirstTokenAndLeave(res);
      const { bill } = await expectHeld(t, double, [res.status], usd(LIMIT));
      expect(bill, "the provider billed the reasoning it never showed").toBeGreaterThan(0);
    },
  );

  it.each(STREAMS)("%s: the upstream breaks after the first visible token → recorded ≥ billed", async (_n, path, body) => {
    const { t, key } = await setup({ limits: { daily: LIMIT } });
    const double = billingDouble({ stream: "cut-after-first-token" });
    const res = await send(key, path, body);
    expect(res.status).toBe(200);
    await res.text().catch(() => "");
    await expectHeld(t, double, [res.status], usd(LIMIT));
  });

  it.each([
    ["chat", "/v1/chat/completions", { model: "gpt-4o", messages: [{ role: "user", content: "Hello" }], max_tokens: 3000 }],
    ["Responses", "/v1/responses", { model: "o4-mini", input: "Hello", max_output_tokens: 3000 }],
    ["Messages", "/v1/messages", { model: "claude-haiku-4-5", max_tokens: 3000, messages: [{ role: "user", content: "Hello" }] }],
  ])("%s: the upstream times out (the provider keeps working) → settled at the ceiling, not released", async (_n, path, body) => {
    const { t, key } = await setup({ limits: { daily: LIMIT } });
    const double = billingDouble({ hang: true });
    const { path: p, ...init } = post(key, body, {}, path);
    const res = await withEnv({ UPSTREAM_TIMEOUT_MS: "50" }, p, init);
    expect(res.status).toBe(504);
    const { spent, bill } = await expectHeld(t, double, [200], usd(LIMIT));
    expect(spent, "a timed-out call is not free").toBeGreaterThan(0);
    expect(spent).toBeGreaterThanOrEqual(bill);
  });

  it("a stream that stalls after the first token until the stream timeout → settled at the ceiling", async () => {
    const { t, key } = await setup({ limits: { daily: LIMIT } });
    const double = billingDouble({ stream: "hang-after-first-token" });
    const { path, ...init } = post(key, STREAMS[0]?.[2], {}, "/v1/chat/completions");
    const status = await streamWithEnv({ UPSTREAM_STREAM_TIMEOUT_MS: "100" }, path, init);
    expect(status).toBe(200);
    await expectHeld(t, double, [status], usd(LIMIT));
  });

  const missing: [string, string, Record<string, unknown>, DoubleOptions][] = [
    [
      "chat JSON on o4-mini",
      "/v1/chat/completions",
      { model: "o4-mini", messages: [{ role: "user", content: "Hi" }], max_completion_tokens: 3000 },
      {},
    ],
    ["Responses JSON on o4-mini", "/v1/responses", { model: "o4-mini", input: "Hi", max_output_tokens: 3000 }, {}],
    ["chat stream on o4-mini", "/v1/chat/completions", { ...STREAMS[0]?.[2] }, {}],
    ["Messages stream with thinking", "/v1/messages", { ...STREAMS[2]?.[2] }, {}],
    [
      "chat JSON on gpt-4o (no hidden tokens)",
      "/v1/chat/completions",
      { model: "gpt-4o", messages: [{ role: "user", content: "Hi" }], max_tokens: 300 },
      {},
    ],
  ];
  it.each(missing)("%s with no usage block → recorded ≥ billed", async (_n, path, body, opts) => {
    const { t, key } = await setup({ limits: { daily: LIMIT } });
    const double = billingDouble({ ...opts, usage: "omit" });
    const res = await send(key, path, body);
    expect(res.status).toBe(200);
    await res.text();
    await expectHeld(t, double, [res.status], usd(LIMIT));
  });
});
