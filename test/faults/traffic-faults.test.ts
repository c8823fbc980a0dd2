/** Trust suite: faults on the traffic path. Each test names the protection it proves; removing it makes the test fail. */
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { sha256Hex } from "../../src/auth/keys";
import type { TenantLedger } from "../../src/ledger/tenant-ledger";
import { call, chat, eventually, mockUpstream, reserveRequest } from "../helpers/guard";
import { today, ledger, hello, ZERO, setup, withEnv, post, upstreamSlot, restoreAfterEach } from "../helpers/traffic";

restoreAfterEach();

/** The request log lines of the current test (project "on" reads what was held and charged from them). */
const logged: string[] = [];
beforeEach(() => {
  logged.length = 0;
  const log = console.log.bind(console);
  vi.spyOn(console, "log").mockImplementation((...a: unknown[]) => {
    logged.push(a.map(String).join(" "));
    log(...a);
  });
});
function requestLines(): Record<string, unknown>[] {
  return logged.filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === "request");
}

/** The tenant's only reservation: what was reserved, what it settled at, and how. */
async function onlyReservation(t: string): Promise<{ amount: number; cost: number; state: string }> {
  const rows = await runInDurableObject(ledger(t), (_i: TenantLedger, s) =>
    s.storage.sql.exec<{ amount: number; cost: number; state: string }>(`SELECT amount, cost, state FROM reservations`).toArray(),
  );
  expect(rows).toHaveLength(1);
  return rows[0]!;
}

/** Waits until the tenant's one call is settled at exactly what it reserved (the ceiling). */
async function settledAtCeiling(t: string): Promise<void> {
  await eventually(async () => {
    if (env.ALLOWANCES === "on") {
      // Decided from an allowance (project "on"): no reservation row. The request log says what was held
      // (estimateUsd) and what was charged (settledUsd), and the counter holds exactly that.
      const line = requestLines().find((l) => l.settlement === "ceiling");
      expect(line).toBeDefined();
      const cost = Math.round(Number(line?.settledUsd) * 1_000_000);
      expect(cost).toBeGreaterThan(0);
      expect(line?.settledUsd).toBe(line?.estimateUsd);
      expect(await ledger(t).counter("tenant", today())).toEqual({ spent: cost, reserved: 0, requests: 1 });
      return;
    }
    const r = await onlyReservation(t);
    expect(r.state).toBe("settled");
    expect(r.amount).toBeGreaterThan(0);
    expect(r.cost).toBe(r.amount);
    expect(await ledger(t).counter("tenant", today())).toEqual({ spent: r.amount, reserved: 0, requests: 1 });
  });
}

describe("faults on the traffic path", () => {
  it.each([
    ["5xx", () => Response.json({ error: { message: "overloaded" } }, { status: 503 }), 503],
    ["429", () => Response.json({ error: { message: "rate limited", type: "requests" } }, { status: 429 }), 429],
    ["connection reset", () => Promise.reject(new TypeError("Network connection lost.")), 502],
  ])("upstream %s → the reservation is released", async (_name, reply, status) => {
    upstreamSlot.current = mockUpstream(reply);
    const { t, key } = await setup();
    const res = await chat(key, { model: "gpt-4o-mini", ...hello, max_tokens: 100 });
    expect(res.status).toBe(status);
    // An upstream 429 is the provider's, not a budget block: the SDK may retry it.
    expect(res.headers.get("x-should-retry")).toBeNull();
    await eventually(async () => expect(await ledger(t).counter("tenant", today())).toEqual(ZERO));
  });

  // Was "…the reservation is released": the provider bills work it was sent even when the guard stops waiting.
  it("upstream timeout → 504 and settled at the reservation (the provider bills the work it was sent)", async () => {
    vi.spyOn(globalThis, "fetch").mockImplementation(
      (_input: RequestInfo | URL, init?: RequestInit) =>
        new Promise<Response>((_resolve, reject) => init?.signal?.addEventListener("abort", () => reject(init.signal?.reason))),
    );
    const { t, key } = await setup();
    const { path, ...init } = post(key, { model: "gpt-4o-mini", ...hello, max_tokens: 100 });
    const res = await withEnv({ UPSTREAM_TIMEOUT_MS: "50" }, path, init);
    expect(res.status).toBe(504);
    expect(await res.json()).toMatchObject({ error: { code: "upstream_timeout" } });
    await settledAtCeiling(t);
  });

  it("a JSON answer that times out after its headers → 504 and settled at the reservation", async () => {
    vi.spyOn(globalThis, "fetch").mockImplementation(async (_input: RequestInfo | URL, init?: RequestInit) => {
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode('{"id":"x","choices":['));
          init?.signal?.addEventListener("abort", () => controller.error(init.signal?.reason));
        },
      });
      return new Response(body, { headers: { "content-type": "application/json" } });
    });
    const { t, key } = await setup();
    const { path, ...init } = post(key, { model: "gpt-4o-mini", ...hello, max_tokens: 100 });
    const res = await withEnv({ UPSTREAM_TIMEOUT_MS: "50" }, path, init);
    expect(res.status).toBe(504);
    await settledAtCeiling(t);
  });

  it.each([
    [
      "missing usage",
      {
        id: "x",
        object: "chat.completion",
        choices: [{ index: 0, message: { role: "assistant", content: "An answer with no usage block" } }],
      },
    ],
    ["malformed usage", { id: "x", choices: [], usage: { prompt_tokens: "many", completion_tokens: null } }],
    ["a body that is not JSON", "<html>oops</html>"],
  ])("%s on a model without hidden output → settled on an exact count, never nothing", async (_name, body) => {
    upstreamSlot.current = mockUpstream(() => (typeof body === "string" ? new Response(body, { status: 200 }) : Response.json(body)));
    const { t, key } = await setup();
    expect((await chat(key, { model: "gpt-4o-mini", ...hello, max_tokens: 100 })).status).toBe(200);
    await eventually(async () => {
      const c = await ledger(t).counter("tenant", today());
      expect(c.reserved).toBe(0);
      expect(c.spent).toBeGreaterThan(0);
    });
  });

  it.each([
    ["missing usage", { id: "x", object: "chat.completion", choices: [{ index: 0, message: { role: "assistant", content: "Hi" } }] }],
    ["malformed usage", { id: "x", choices: [], usage: { prompt_tokens: "many", completion_tokens: null } }],
  ])("%s on a model with hidden reasoning → settled at the reservation (visible text is no measure)", async (_name, body) => {
    upstreamSlot.current = mockUpstream(() => Response.json(body));
    const { t, key } = await setup();
    expect((await chat(key, { model: "gpt-5-mini", ...hello, max_completion_tokens: 100 })).status).toBe(200);
    await settledAtCeiling(t);
  });

  it("a stream cut before its usage on a reasoning model → settled at the reservation, not the one visible token", async () => {
    const enc = new TextEncoder();
    upstreamSlot.current = mockUpstream(
      () =>
        new Response(
          new ReadableStream<Uint8Array>({
            start(controller) {
              controller.enqueue(enc.encode(`data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: "Hi" } }] })}\n\n`));
              controller.error(new Error("connection reset"));
            },
          }),
          { headers: { "content-type": "text/event-stream" } },
        ),
    );
    const { t, key } = await setup();
    const res = await chat(key, { model: "gpt-5-mini", ...hello, max_completion_tokens: 1000, stream: true });
    await res.text().catch(() => "");
    await settledAtCeiling(t);
  });

  it("a cut Anthropic stream → settled at the reservation (Claude's tokenizer is not public, so nothing is exact)", async () => {
    const enc = new TextEncoder();
    const start = { type: "message_start", message: { id: "m", usage: { input_tokens: 9, output_tokens: 1 } } };
    const delta = { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "Hi" } };
    upstreamSlot.current = mockUpstream(
      () =>
        new Response(
          new ReadableStream<Uint8Array>({
            start(controller) {
              for (const e of [start, delta]) controller.enqueue(enc.encode(`event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`));
              controller.error(new Error("connection reset"));
            },
          }),
          { headers: { "content-type": "text/event-stream" } },
        ),
    );
    const { t, key } = await setup();
    const { path, ...init } = post(key, { model: "claude-sonnet-4-5", ...hello, max_tokens: 500, stream: true }, {}, "/v1/messages");
    const res = await call(path, init);
    expect(res.status).toBe(200);
    await res.text().catch(() => "");
    await settledAtCeiling(t);
  });

  it("a tenant object evicted between reserve and settle still settles (state is in storage)", async () => {
    const { t, key } = await setup();
    const stub = ledger(t);
    const reserved = await stub.reserve(
      reserveRequest(await sha256Hex(key), { requestId: "evicted-1", inputTokens: 1000, requestedMaxTokens: 1000 }),
    );
    expect(reserved.status).toBe("allowed");
    await evictDurableObject(stub);
    const settled = await ledger(t).settle({
      reservationId: "evicted-1",
      usage: { inputTokens: 1000, cachedInputTokens: 0, cacheWriteTokens: 0, outputTokens: 500 },
      outcome: "ok",
    });
    expect(settled).toMatchObject({ applied: true, cost: 150 + 300 });
    expect(await ledger(t).counter("tenant", today())).toEqual({ spent: 450, reserved: 0, requests: 1 });
  });

  describe("ledger unreachable", () => {
    const down = { TENANT_LEDGER: { getByName: () => ({ reserve: () => Promise.reject(new Error("Durable Object overloaded")) }) } };
    it.each([
      [
        "/v1/chat/completions",
        { model: "mock-small", ...hello, max_tokens: 10 },
        { error: { code: "ledger_unavailable", type: "api_error" } },
      ],
      ["/v1/messages", { model: "mock-small", ...hello, max_tokens: 10 }, { type: "error", error: { type: "overloaded_error" } }],
    ])("fails closed with a 503 in the dialect's shape (%s)", async (path, body, shape) => {
      const spy = mockUpstream(() => Response.json({}));
      upstreamSlot.current = spy;
      const res = await withEnv(down, path, post("bg_acme_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", body));
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject(shape);
      expect(spy.calls).toHaveLength(0);
    });

    it("FAIL_OPEN=true forwards unmetered and logs each such request loudly", async () => {
      const errors: string[] = [];
      vi.spyOn(console, "error").mockImplementation((...a: unknown[]) => void errors.push(a.map(String).join(" ")));
      const { path, ...init } = post("bg_acme_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", { model: "mock-small", ...hello, max_tokens: 10 });
      const res = await withEnv({ ...down, FAIL_OPEN: "true" }, path, init);
      expect(res.status).toBe(200);
      expect(res.headers.get("x-budget-unmetered")).toBe("true");
      const line = errors
        .map((e) => (e.startsWith("{") ? (JSON.parse(e) as Record<string, unknown>) : {}))
        .find((l) => l.msg === "request");
      expect(line).toMatchObject({ level: "error", decision: "unmetered", status: 200 });
    });
  });
});
