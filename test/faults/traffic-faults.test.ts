/** Trust suite: faults on the traffic path. Each test names the protection it proves; removing it makes the test fail. */
import { evictDurableObject } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { sha256Hex } from "../../src/auth/keys";
import { chat, eventually, mockUpstream, reserveRequest } from "../helpers/guard";
import { today, ledger, hello, ZERO, setup, withEnv, post, upstreamSlot, restoreAfterEach } from "../helpers/traffic";

restoreAfterEach();

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

  it("upstream timeout → 504 and the reservation is released", async () => {
    vi.spyOn(globalThis, "fetch").mockImplementation(
      (_input: RequestInfo | URL, init?: RequestInit) =>
        new Promise<Response>((_resolve, reject) => init?.signal?.addEventListener("abort", () => reject(init.signal?.reason))),
    );
    const { t, key } = await setup();
    const { path, ...init } = post(key, { model: "gpt-4o-mini", ...hello, max_tokens: 100 });
    const res = await withEnv({ UPSTREAM_TIMEOUT_MS: "50" }, path, init);
    expect(res.status).toBe(504);
    expect(await res.json()).toMatchObject({ error: { code: "upstream_timeout" } });
    await eventually(async () => expect(await ledger(t).counter("tenant", today())).toEqual(ZERO));
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
  ])("%s → settled on a counted estimate, never $0", async (_name, body) => {
    upstreamSlot.current = mockUpstream(() => (typeof body === "string" ? new Response(body, { status: 200 }) : Response.json(body)));
    const { t, key } = await setup();
    expect((await chat(key, { model: "gpt-4o-mini", ...hello, max_tokens: 100 })).status).toBe(200);
    await eventually(async () => {
      const c = await ledger(t).counter("tenant", today());
      expect(c.reserved).toBe(0);
      expect(c.spent).toBeGreaterThan(0);
    });
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
