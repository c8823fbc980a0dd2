/**
 * The trust suite: faults on the traffic path, idempotency, bad input (table
 * and fuzz), secrets, tenant isolation, brute force and the request log.
 * Each test names the protection it proves; removing it makes the test fail.
 */
import { createExecutionContext, evictDurableObject, runInDurableObject, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { sha256Hex } from "../src/auth/keys";
import { windowsAt } from "../src/budget/windows";
import worker from "../src/index";
import type { TenantLedger } from "../src/ledger/tenant-ledger";
import { ADMIN_TOKEN, admin, call, chat, createKey, createTenant, eventually, mockUpstream, reserveRequest } from "./helpers/guard";

const today = () => windowsAt(Date.now()).daily.key;
const ledger = (t: string) => env.TENANT_LEDGER.getByName(t);
const hello = { messages: [{ role: "user", content: "Hello" }] };
const ZERO = { spent: 0, reserved: 0, requests: 0 };

let upstream: ReturnType<typeof mockUpstream> | undefined;
afterEach(() => {
  upstream?.restore();
  upstream = undefined;
  vi.restoreAllMocks();
});

async function setup(config: Record<string, unknown> = { limits: { daily: 10 } }) {
  const t = await createTenant(config);
  return { t, key: await createKey(t, { name: "k", role: "user", userId: "u" }) };
}

/** Calls the worker with some env values replaced, and waits for its waitUntil work. */
async function withEnv(overrides: Record<string, unknown>, path: string, init: RequestInit): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(`https://guard.test${path}`, init), { ...env, ...overrides } as typeof env, ctx);
  const body = await res.text();
  await waitOnExecutionContext(ctx);
  return new Response(body, { status: res.status, headers: res.headers });
}

function post(
  key: string,
  body: unknown,
  headers: Record<string, string> = {},
  path = "/v1/chat/completions",
): RequestInit & { path: string } {
  return {
    path,
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  };
}

describe("faults on the traffic path", () => {
  it.each([
    ["5xx", () => Response.json({ error: { message: "overloaded" } }, { status: 503 }), 503],
    ["429", () => Response.json({ error: { message: "rate limited", type: "requests" } }, { status: 429 }), 429],
    ["connection reset", () => Promise.reject(new TypeError("Network connection lost.")), 502],
  ])("upstream %s → the reservation is released", async (_name, reply, status) => {
    upstream = mockUpstream(reply);
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
    upstream = mockUpstream(() => (typeof body === "string" ? new Response(body, { status: 200 }) : Response.json(body)));
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
      upstream = spy;
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

describe("idempotency", () => {
  it("a retry with the same Idempotency-Key is answered from the first call, charged once", async () => {
    const { t, key } = await setup();
    const headers = { "idempotency-key": "retry-me-1", "x-mock-output-tokens": "12" };
    const first = await chat(key, { model: "mock-small", ...hello, max_tokens: 50 }, headers);
    expect(first.status).toBe(200);
    const firstBody = await first.text();
    await eventually(async () => expect((await ledger(t).counter("tenant", today())).reserved).toBe(0));
    const spent = (await ledger(t).counter("tenant", today())).spent;
    const retry = await chat(key, { model: "mock-small", ...hello, max_tokens: 50 }, headers);
    expect(retry.status).toBe(200);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(await retry.text()).toBe(firstBody);
    expect(await ledger(t).counter("tenant", today())).toEqual({ spent, reserved: 0, requests: 1 });
  });

  it("a concurrent duplicate is refused while the first runs", async () => {
    const { key } = await setup();
    const headers = { "idempotency-key": "dup-2", "x-mock-latency-ms": "200" };
    const [a, b] = await Promise.all([
      chat(key, { model: "mock-small", ...hello, max_tokens: 10 }, headers),
      chat(key, { model: "mock-small", ...hello, max_tokens: 10 }, headers),
    ]);
    expect([a.status, b.status].sort()).toEqual([200, 409]);
  });

  it("a retry after an upstream failure runs again (nothing was spent)", async () => {
    const { t, key } = await setup();
    const failed = await chat(key, { model: "mock-small", ...hello, max_tokens: 10 }, { "idempotency-key": "k3", "x-mock-fail": "500" });
    expect(failed.status).toBe(500);
    await eventually(async () => expect((await ledger(t).counter("tenant", today())).reserved).toBe(0));
    const ok = await chat(key, { model: "mock-small", ...hello, max_tokens: 10 }, { "idempotency-key": "k3" });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("idempotent-replayed")).toBeNull();
  });

  it("the same key from another guard key is a different request", async () => {
    const { t, key } = await setup();
    const other = await createKey(t, { name: "k2", role: "user", userId: "u2" });
    expect((await chat(key, { model: "mock-small", ...hello, max_tokens: 10 }, { "idempotency-key": "shared" })).status).toBe(200);
    const res = await chat(other, { model: "mock-small", ...hello, max_tokens: 10 }, { "idempotency-key": "shared" });
    expect(res.status).toBe(200);
    expect(res.headers.get("idempotent-replayed")).toBeNull();
  });
});

describe("bad input: a clear 4xx in the dialect's shape, and nothing spent", () => {
  const msg = (content: unknown) => ({ model: "mock-small", messages: [{ role: "user", content }], max_tokens: 10 });
  const cases: [string, string, () => RequestInit, number, string | null][] = [
    ["truncated JSON", "/v1/chat/completions", () => ({ body: '{"model": "mock-small", "messages": [' }), 400, "invalid_json"],
    ["JSON that is not an object", "/v1/chat/completions", () => ({ body: "[1,2,3]" }), 400, "invalid_request"],
    ["model of the wrong type", "/v1/chat/completions", () => ({ body: JSON.stringify({ ...msg("hi"), model: 5 }) }), 400, "invalid_value"],
    [
      "messages of the wrong type",
      "/v1/chat/completions",
      () => ({ body: JSON.stringify({ model: "mock-small", messages: "hi" }) }),
      400,
      "invalid_value",
    ],
    [
      "max_tokens as a string",
      "/v1/chat/completions",
      () => ({ body: JSON.stringify({ ...msg("hi"), max_tokens: "10" }) }),
      400,
      "invalid_value",
    ],
    [
      "negative max_tokens",
      "/v1/chat/completions",
      () => ({ body: JSON.stringify({ ...msg("hi"), max_tokens: -1 }) }),
      400,
      "invalid_value",
    ],
    [
      "absurd max_tokens",
      "/v1/chat/completions",
      () => ({ body: JSON.stringify({ ...msg("hi"), max_tokens: 1e15 }) }),
      400,
      "invalid_value",
    ],
    [
      "fractional max_tokens",
      "/v1/chat/completions",
      () => ({ body: JSON.stringify({ ...msg("hi"), max_tokens: 10.5 }) }),
      400,
      "invalid_value",
    ],
    ["stream as a string", "/v1/chat/completions", () => ({ body: JSON.stringify({ ...msg("hi"), stream: "yes" }) }), 400, "invalid_value"],
    ["n of zero", "/v1/chat/completions", () => ({ body: JSON.stringify({ ...msg("hi"), n: 0 }) }), 400, "invalid_value"],
    [
      "an unknown role",
      "/v1/chat/completions",
      () => ({ body: JSON.stringify({ model: "mock-small", messages: [{ role: "wizard", content: "hi" }] }) }),
      400,
      "invalid_value",
    ],
    ["content of the wrong type", "/v1/chat/completions", () => ({ body: JSON.stringify(msg(42)) }), 400, "invalid_value"],
    ["user of the wrong type", "/v1/chat/completions", () => ({ body: JSON.stringify({ ...msg("hi"), user: 7 }) }), 400, "invalid_value"],
    ["a user id with spaces", "/v1/chat/completions", () => ({ body: JSON.stringify({ ...msg("hi"), user: "a b" }) }), 400, "invalid_id"],
    [
      "an X-Budget-User path",
      "/v1/chat/completions",
      () => ({ body: JSON.stringify(msg("hi")), headers: { "x-budget-user": "../admin" } }),
      400,
      "invalid_id",
    ],
    [
      "an X-Budget-Feature that is too long",
      "/v1/chat/completions",
      () => ({ body: JSON.stringify(msg("hi")), headers: { "x-budget-feature": "f".repeat(129) } }),
      400,
      "invalid_id",
    ],
    [
      "a non-ASCII feature id",
      "/v1/chat/completions",
      () => ({ body: JSON.stringify(msg("hi")), headers: { "x-budget-feature": "caf\u00e9".normalize("NFD") } }),
      400,
      "invalid_id",
    ],
    [
      "a bad Idempotency-Key",
      "/v1/chat/completions",
      () => ({ body: JSON.stringify(msg("hi")), headers: { "idempotency-key": "a b" } }),
      400,
      "invalid_idempotency_key",
    ],
    [
      "the wrong content type",
      "/v1/chat/completions",
      () => ({ body: JSON.stringify(msg("hi")), headers: { "content-type": "text/plain" } }),
      415,
      "unsupported_media_type",
    ],
    [
      "no content type",
      "/v1/chat/completions",
      () => ({ body: JSON.stringify(msg("hi")), headers: { "content-type": "" } }),
      415,
      "unsupported_media_type",
    ],
    [
      "Anthropic without max_tokens",
      "/v1/messages",
      () => ({ body: JSON.stringify({ model: "mock-small", messages: [{ role: "user", content: "hi" }] }) }),
      400,
      null,
    ],
    [
      "Anthropic with a system role message",
      "/v1/messages",
      () => ({ body: JSON.stringify({ model: "mock-small", max_tokens: 5, messages: [{ role: "system", content: "hi" }] }) }),
      400,
      null,
    ],
    [
      "embeddings with an empty list",
      "/v1/embeddings",
      () => ({ body: JSON.stringify({ model: "mock-embed", input: [] }) }),
      400,
      "invalid_value",
    ],
  ];

  it.each(cases)("%s", async (_name, path, make, status, code) => {
    const { t, key } = await setup();
    const init = make();
    const headers = {
      authorization: `Bearer ${key}`,
      "content-type": "application/json",
      ...(init.headers as Record<string, string> | undefined),
    };
    if (headers["content-type"] === "") delete (headers as Record<string, string>)["content-type"];
    const res = await call(path, { method: "POST", ...init, headers });
    expect(res.status).toBe(status);
    const body = (await res.json()) as Record<string, unknown>;
    if (path === "/v1/messages") expect(body).toMatchObject({ type: "error", error: { type: "invalid_request_error" } });
    else expect(body).toMatchObject({ error: { code, message: expect.any(String) } });
    expect(await ledger(t).counter("tenant", today())).toEqual(ZERO);
  });

  it("413 for a body over the cap, before reading it all", async () => {
    const { t, key } = await setup();
    const { path, ...init } = post(key, msg("x".repeat(5000)));
    const res = await withEnv({ MAX_BODY_BYTES: "1024" }, path, init);
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ error: { code: "request_too_large" } });
    expect(await ledger(t).counter("tenant", today())).toEqual(ZERO);
  });

  it("Unicode prompts (emoji, RTL, lone surrogates, NUL) are counted, not rejected", async () => {
    const { key } = await setup();
    for (const content of [
      "👩🏽‍💻🇺🇦 ok",
      "مرحبا بالعالم",
      "\ud800 lone surrogate",
      "nul\u0000byte",
      "ｆｕｌｌｗｉｄｔｈ",
      "e\u0301\u0301\u0301",
    ]) {
      expect((await chat(key, msg(content))).status).toBe(200);
    }
  });

  it("fuzz: the guard never answers 5xx and never spends on a 4xx", async () => {
    const { t, key } = await setup({ limits: { daily: 1000 } });
    const anyValue = fc.oneof(
      fc.string(),
      fc.integer(),
      fc.double(),
      fc.boolean(),
      fc.constant(null),
      fc.array(fc.string(), { maxLength: 3 }),
      fc.dictionary(fc.string({ maxLength: 5 }), fc.string(), { maxKeys: 3 }),
    );
    const bodies = fc.oneof(
      fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
      fc.string({ maxLength: 60 }),
      fc
        .record(
          {
            model: fc.oneof(fc.constant("mock-small"), anyValue),
            messages: fc.oneof(
              fc.array(fc.record({ role: fc.oneof(fc.constantFrom("user", "system", "assistant", "tool"), anyValue), content: anyValue }), {
                maxLength: 3,
              }),
              anyValue,
            ),
            max_tokens: fc.oneof(fc.integer({ min: -5, max: 300 }), anyValue),
            stream: fc.oneof(fc.boolean(), anyValue),
            user: fc.oneof(fc.constantFrom("alice", "a@b.c"), anyValue),
            n: fc.oneof(fc.integer({ min: 0, max: 3 }), anyValue),
          },
          { requiredKeys: [] },
        )
        .map((v) => JSON.stringify(v)),
    );
    await fc.assert(
      fc.asyncProperty(bodies, fc.constantFrom("/v1/chat/completions", "/v1/messages"), async (raw, path) => {
        const before = await ledger(t).counter("tenant", today());
        const res = await call(path, {
          method: "POST",
          headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
          body: raw,
        });
        expect(res.status).toBeLessThan(500);
        await res.text();
        if (res.status >= 400) {
          expect(await ledger(t).counter("tenant", today())).toEqual(before);
        } else {
          await eventually(async () => expect((await ledger(t).counter("tenant", today())).reserved).toBe(0));
        }
      }),
      { numRuns: 60 },
    );
  });
});

describe("secrets", () => {
  let logs: string[] = [];
  beforeEach(() => {
    logs = [];
    for (const m of ["log", "error", "warn", "info", "debug"] as const) {
      vi.spyOn(console, m).mockImplementation(
        (...a: unknown[]) => void logs.push(a.map((x) => (typeof x === "string" ? x : JSON.stringify(x))).join(" ")),
      );
    }
  });

  it("never appear in a response, a log line or an error", async () => {
    // A hostile upstream that quotes the credentials it was sent.
    upstream = mockUpstream((req) =>
      Response.json(
        { error: { message: `bad key ${req.headers.get("authorization")} / ${req.headers.get("x-api-key")}` } },
        { status: 401 },
      ),
    );
    const { t, key } = await setup();
    const bodies: string[] = [];
    const record = async (r: Response) => {
      bodies.push(await r.text());
      bodies.push(JSON.stringify([...r.headers]));
    };
    await record(await chat(key, { model: "gpt-4o-mini", ...hello, max_tokens: 10 }));
    await record(
      await call("/v1/messages", {
        method: "POST",
        headers: { "x-api-key": key, "content-type": "application/json" },
        body: JSON.stringify({ model: "claude-sonnet-4-5", max_tokens: 5, ...hello }),
      }),
    );
    await record(await chat(`${key.slice(0, -1)}X`, { model: "mock-small", ...hello, max_tokens: 10 }));
    await record(await chat(key, { model: "mock-small", ...hello, max_tokens: 10 }));
    await record(await admin("GET", `/tenants/${t}/keys`));
    await record(await admin("GET", `/tenants/${t}/audit`));
    await record(await admin("GET", `/tenants/${t}`, undefined, "wrong-token"));
    await new Promise((r) => setTimeout(r, 50));
    const everything = [...bodies, ...logs].join("\n");
    for (const secret of ["sk-test-openai-secret", "sk-ant-test-secret", ADMIN_TOKEN, key, key.slice(-32), await sha256Hex(key)]) {
      expect(everything).not.toContain(secret);
    }
    expect(bodies.join("\n")).toContain("[redacted]");
  });

  it("prompts and completions are logged only when the operator opts in", async () => {
    const { key } = await setup();
    const canary = "CANARY-PROMPT-7f3a";
    const { path, ...init } = post(key, { model: "mock-small", messages: [{ role: "user", content: canary }], max_tokens: 5 });
    await withEnv({}, path, init);
    expect(logs.join("\n")).not.toContain(canary);
    expect(logs.join("\n")).toContain('"msg":"request"');
    await withEnv({ LOG_PROMPTS: "true" }, path, init);
    expect(logs.join("\n")).toContain(canary);
  });

  it("logs one structured line per request", async () => {
    const { t, key } = await setup();
    const { path, ...init } = post(key, { model: "mock-small", ...hello, max_tokens: 5 }, { "x-budget-feature": "chat" });
    await withEnv({}, path, init);
    const lines = logs.filter((l) => l.includes('"msg":"request"')).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      requestId: expect.any(String),
      tenant: t,
      user: "u",
      feature: "chat",
      model: "mock-small",
      provider: "mock",
      decision: "allowed",
      estimateUsd: expect.any(Number),
      settledUsd: expect.any(Number),
      guardMs: expect.any(Number),
      upstreamMs: expect.any(Number),
      status: 200,
    });
  });
});

describe("tenant isolation", () => {
  it("keys of tenant A reach nothing of tenant B's, on every route", async () => {
    const A = await createTenant({ limits: { daily: 1 } });
    const B = await createTenant({ limits: { daily: 1 } });
    const adminA = await createKey(A, { name: "a", role: "admin" });
    const userA = await createKey(A, { name: "u", role: "user", userId: "ua" });
    const keyB = ((await (await admin("POST", `/tenants/${B}/keys`, { name: "b", role: "user", userId: "ub" })).json()) as { id: string })
      .id;
    const routes: [string, string, unknown][] = [
      ["GET", `/tenants/${B}`, undefined],
      ["PATCH", `/tenants/${B}`, { upgradeMessage: "x" }],
      ["PUT", `/tenants/${B}`, {}],
      ["DELETE", `/tenants/${B}`, undefined],
      ["PUT", `/tenants/${B}/users/ub`, { tier: "x" }],
      ["PUT", `/tenants/${B}/features/f`, {}],
      ["POST", `/tenants/${B}/keys`, { name: "evil", role: "admin" }],
      ["GET", `/tenants/${B}/keys`, undefined],
      ["DELETE", `/tenants/${B}/keys/${keyB}`, undefined],
      ["GET", `/tenants/${B}/usage`, undefined],
      ["GET", `/tenants/${B}/review`, undefined],
      ["GET", `/tenants/${B}/alerts`, undefined],
      ["GET", `/tenants/${B}/audit`, undefined],
      ["POST", `/tenants/${B}/unfreeze`, undefined],
      ["GET", `/global`, undefined],
    ];
    for (const [method, path, body] of routes) {
      for (const k of [adminA, userA]) {
        const res = await admin(method, path, body, k);
        expect([method, path, res.status]).toEqual([method, path, 403]);
      }
    }
    // LLM routes are scoped by the key: A's budget view names only A, and a user key cannot speak for another user.
    const budget = (await (await call("/v1/budget", { headers: { authorization: `Bearer ${userA}` } })).json()) as {
      scopes: { id: string; scope: string }[];
    };
    expect(budget.scopes.filter((s) => s.scope === "tenant").map((s) => s.id)).toEqual([A, A]);
    expect((await chat(userA, { model: "mock-small", ...hello, max_tokens: 5 }, { "x-budget-user": "ub" })).status).toBe(403);
    // B is untouched.
    expect(await ledger(B).counter("tenant", today())).toEqual(ZERO);
    expect((await admin("GET", `/tenants/${B}/keys`)).status).toBe(200);
  });
});

describe("forged keys", () => {
  it("a key naming a tenant that does not exist leaves no storage behind", async () => {
    const name = `ghost-${Date.now().toString(36)}`;
    for (let i = 0; i < 3; i++)
      expect((await chat(`bg_${name}_${"Q".repeat(32)}`, { model: "mock-small", ...hello, max_tokens: 5 })).status).toBe(401);
    const tables = await runInDurableObject(ledger(name), (_i: TenantLedger, s) =>
      s.storage.sql.exec(`SELECT name FROM sqlite_master WHERE type = 'table'`).toArray(),
    );
    expect(tables).toEqual([]);
  });
});

describe("brute force", () => {
  it("repeated failures on one tenant prefix are refused; valid keys still work", async () => {
    const { t, key } = await setup();
    const statuses: number[] = [];
    for (let i = 0; i < 25; i++) {
      const forged = `bg_${t}_${String(i).padStart(32, "Z")}`;
      statuses.push((await chat(forged, { model: "mock-small", ...hello, max_tokens: 5 })).status);
    }
    expect(statuses.slice(0, 20).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(21)).toEqual([429, 429, 429, 429]);
    const refused = await chat(`bg_${t}_${"Y".repeat(32)}`, { model: "mock-small", ...hello, max_tokens: 5 });
    expect(await refused.json()).toMatchObject({ error: { code: "too_many_auth_failures" } });
    expect(refused.headers.get("retry-after")).toBe("60");
    expect((await chat(key, { model: "mock-small", ...hello, max_tokens: 5 })).status).toBe(200);
    // Other tenants are unaffected: the count lives in each tenant's own object, no global hot spot.
    const other = await setup();
    expect((await chat(other.key, { model: "mock-small", ...hello, max_tokens: 5 })).status).toBe(200);
  });
});
