/**
 * The walking skeleton end to end, through the worker: create a tenant and a
 * key, call the mock and a mocked OpenAI, read the budget headers, hit the
 * limit, and check that the ledger's arithmetic holds under concurrency.
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import { windowsAt } from "../src/budget/windows";
import type { TenantLedger } from "../src/ledger/tenant-ledger";
import { admin, chat, createKey, createTenant, eventually, mockUpstream, reserveRequest } from "./helpers/guard";

const today = () => windowsAt(Date.now()).daily.key;
const ledger = (tenant: string) => env.TENANT_LEDGER.getByName(tenant);

function openaiCompletion(prompt: number, completion: number) {
  return {
    id: "chatcmpl-x",
    object: "chat.completion",
    created: 1,
    model: "gpt-4o-mini",
    choices: [{ index: 0, message: { role: "assistant", content: "hi" }, finish_reason: "stop" }],
    usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion },
  };
}

let upstream: ReturnType<typeof mockUpstream> | undefined;
afterEach(() => {
  upstream?.restore();
  upstream = undefined;
});

describe("walking skeleton", () => {
  it("reserves, forwards to the mock provider, settles and reports budget headers", async () => {
    const t = await createTenant({ limits: { daily: 5 } });
    const key = await createKey(t, { name: "alice", role: "user", userId: "alice" });
    const res = await chat(key, { model: "mock-small", messages: [{ role: "user", content: "Hello there" }], max_tokens: 100 });
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      choices: { message: { content: string } }[];
      usage: { prompt_tokens: number; completion_tokens: number };
    };
    expect(body.choices[0]?.message.content).toMatch(/^Mock/);
    expect(res.headers.get("x-budget-limit-usd")).toBe("5");
    expect(res.headers.get("x-budget-scope")).toBe("tenant:daily");
    expect(res.headers.get("x-budget-reset")).toMatch(/^\d{4}-\d{2}-\d{2}T00:00:00Z$/);
    expect(Number(res.headers.get("x-budget-remaining-usd"))).toBeLessThan(5);
    expect(res.headers.get("server-timing")).toMatch(/guard;dur=[\d.]+, ledger;dur=[\d.]+, upstream;dur=[\d.]+/);

    // mock-small: $0.15/M input, $0.60/M output; settlement charges exactly the reported usage.
    const expected = Math.ceil((body.usage.prompt_tokens * 150_000 + body.usage.completion_tokens * 600_000) / 1_000_000);
    await eventually(async () => {
      const c = await ledger(t).counter("tenant", today());
      expect(c).toEqual({ spent: expected, reserved: 0, requests: 1 });
    });
    expect(await ledger(t).counter("user:alice", today())).toMatchObject({ spent: expected, reserved: 0 });
  });

  it("blocks over the limit before the provider is called", async () => {
    upstream = mockUpstream(() => Response.json(openaiCompletion(10, 10)));
    const t = await createTenant({ limits: { daily: 0.0001 } });
    const key = await createKey(t, { name: "bob", role: "user", userId: "bob" });
    const res = await chat(key, {
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: "Write a long essay about budgets" }],
      max_tokens: 2000,
    });
    expect(res.status).toBe(402);
    expect(res.headers.get("retry-after")).toMatch(/^\d+$/);
    expect(res.headers.get("x-should-retry")).toBe("false");
    expect(res.headers.get("x-budget-scope")).toBe("tenant:daily");
    const body = (await res.json()) as { error: { type: string; code: string; message: string; param: null } };
    expect(body.error).toMatchObject({ type: "budget_exceeded", code: "tenant_daily_budget_exceeded", param: null });
    expect(body.error.message).toMatch(/^Daily budget of \$0\.0001 for tenant .+ reached; resets at \d{4}-\d{2}-\d{2}T00:00:00Z\.$/);
    expect(upstream.calls).toHaveLength(0);
  });

  it("forwards to OpenAI with the operator's key and settles from its usage", async () => {
    upstream = mockUpstream(() => Response.json(openaiCompletion(1000, 500)));
    const t = await createTenant({ limits: { daily: 1 } });
    const key = await createKey(t, { name: "svc", role: "service" });
    const res = await chat(
      key,
      { model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }], max_tokens: 600 },
      { "x-budget-user": "carol" },
    );
    expect(res.status).toBe(200);
    expect(upstream.calls).toHaveLength(1);
    const sent = upstream.calls[0]!;
    expect(sent.url).toBe("https://api.openai.com/v1/chat/completions");
    expect(sent.headers.get("authorization")).toBe("Bearer sk-test-openai-secret");
    expect(JSON.parse(sent.body)).toMatchObject({ model: "gpt-4o-mini", max_tokens: 600 });
    // gpt-4o-mini from the table: 1000 input at $0.15/M + 500 output at $0.60/M = 150 + 300 micro-USD.
    await eventually(async () => expect(await ledger(t).counter("user:carol", today())).toEqual({ spent: 450, reserved: 0, requests: 1 }));
  });

  it("never commits more than the limit under 50 concurrent requests", async () => {
    upstream = mockUpstream(() => Response.json(openaiCompletion(20, 1000)));
    // Each call reserves its full cap: ~20 input + 1000 output at $0.60/M ≈ 603 micro-USD; the limit fits about 5.
    const t = await createTenant({ limits: { daily: 0.0031 }, minOutputTokens: 1000 });
    const key = await createKey(t, { name: "burst", role: "user", userId: "u" });
    const results = await Promise.all(
      Array.from({ length: 50 }, () => chat(key, { model: "gpt-4o-mini", messages: [{ role: "user", content: "go" }], max_tokens: 1000 })),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.every((s) => s === 200 || s === 402)).toBe(true);
    const ok = statuses.filter((s) => s === 200).length;
    expect(ok).toBeGreaterThanOrEqual(1);
    expect(ok).toBeLessThanOrEqual(5);
    expect(upstream.calls.length).toBe(ok);
    await eventually(async () => {
      const c = await ledger(t).counter("tenant", today());
      expect(c.reserved).toBe(0);
      expect(c.requests).toBe(ok);
      expect(c.spent).toBeLessThanOrEqual(3100);
    });
  });

  it("releases the reservation when the upstream fails", async () => {
    upstream = mockUpstream(() => Response.json({ error: { message: "boom", type: "server_error" } }, { status: 500 }));
    const t = await createTenant({ limits: { daily: 1 } });
    const key = await createKey(t, { name: "k", role: "user", userId: "u" });
    const res = await chat(key, { model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }], max_tokens: 100 });
    expect(res.status).toBe(500);
    expect(await res.json()).toMatchObject({ error: { message: "boom" } });
    await eventually(async () => expect(await ledger(t).counter("tenant", today())).toEqual({ spent: 0, reserved: 0, requests: 0 }));
  });

  it("releases an expired reservation in the alarm", async () => {
    const t = await createTenant({ limits: { daily: 1 } });
    const key = await createKey(t, { name: "k", role: "user", userId: "u" });
    const stub = ledger(t);
    const { sha256Hex } = await import("../src/auth/keys");
    const res = await stub.reserve(
      reserveRequest(await sha256Hex(key), {
        requestId: "crashed-request",
        inputTokens: 100,
        requestedMaxTokens: 100,
        finalMessageEligible: true,
      }),
    );
    expect(res.status).toBe("allowed");
    expect((await stub.counter("tenant", today())).reserved).toBeGreaterThan(0);
    // The worker "crashed": nothing settles. Move the reservation's expiry into the past and fire the alarm.
    await runInDurableObject(stub, (_instance: TenantLedger, state) => {
      state.storage.sql.exec(`UPDATE reservations SET expires_at = ? WHERE id = ?`, Date.now() - 1, "crashed-request");
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await stub.counter("tenant", today())).toEqual({ spent: 0, reserved: 0, requests: 0 });
    // A late settle of an expired reservation still records the spend, once.
    const late = await stub.settle({
      reservationId: "crashed-request",
      usage: { inputTokens: 100, cachedInputTokens: 0, cacheWriteTokens: 0, outputTokens: 0 },
      outcome: "ok",
    });
    expect(late).toMatchObject({ applied: true, cost: 15 });
    expect(
      await stub.settle({
        reservationId: "crashed-request",
        usage: { inputTokens: 100, cachedInputTokens: 0, cacheWriteTokens: 0, outputTokens: 0 },
        outcome: "ok",
      }),
    ).toMatchObject({ applied: false });
    expect(await stub.counter("tenant", today())).toEqual({ spent: 15, reserved: 0, requests: 1 });
  });
});

describe("authentication", () => {
  it.each([
    ["missing", undefined],
    ["malformed", "not-a-key"],
    ["forged secret", "bg_acme_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"],
    ["unknown tenant", "bg_no-such-tenant-xyz_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"],
  ])("401 for a %s key, in OpenAI's error shape", async (_name, key) => {
    upstream = mockUpstream(() => Response.json(openaiCompletion(1, 1)));
    const res = await chat(
      key ?? "",
      { model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] },
      key ? {} : { authorization: "" },
    );
    expect(res.status).toBe(401);
    const body = (await res.json()) as { error: { message: string; type: string; code: string } };
    expect(body.error.type).toBe("authentication_error");
    expect(upstream.calls).toHaveLength(0);
  });

  it("401 for a revoked-looking key of a real tenant with a wrong secret", async () => {
    const t = await createTenant();
    await createKey(t, { name: "real", role: "user", userId: "u" });
    const res = await chat(`bg_${t}_${"B".repeat(32)}`, { model: "mock-small", messages: [{ role: "user", content: "hi" }] });
    expect(res.status).toBe(401);
  });
});

describe("bad input", () => {
  it.each([
    ["malformed JSON", "{not json", "invalid_json"],
    ["missing messages", JSON.stringify({ model: "mock-small" }), "missing_required_parameter"],
    ["empty messages", JSON.stringify({ model: "mock-small", messages: [] }), "invalid_value"],
    ["unknown model", JSON.stringify({ model: "llama-unknown", messages: [{ role: "user", content: "hi" }] }), "model_not_found"],
    [
      "negative max_tokens",
      JSON.stringify({ model: "mock-small", messages: [{ role: "user", content: "hi" }], max_tokens: -5 }),
      "invalid_value",
    ],
  ])("400 for %s, in OpenAI's error shape", async (_name, raw, code) => {
    const t = await createTenant({ limits: { daily: 1 } });
    const key = await createKey(t, { name: "k", role: "user", userId: "u" });
    const { call } = await import("./helpers/guard");
    const res = await call("/v1/chat/completions", {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: raw,
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { type: string; code: string; message: string } };
    expect(body.error).toMatchObject({ type: "invalid_request_error", code });
    expect(await ledger(t).counter("tenant", today())).toEqual({ spent: 0, reserved: 0, requests: 0 });
  });

  it("400 naming the fields for an invalid tenant", async () => {
    const res = await admin("PUT", "/tenants/ok-tenant", { limits: { daily: -1 }, softLimitPct: 2 });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; details: { field: string }[] } };
    expect(body.error.code).toBe("validation_failed");
    expect(body.error.details.map((d) => d.field).sort()).toEqual(["limits.daily", "softLimitPct"]);
  });
});
