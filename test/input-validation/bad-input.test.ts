/** Trust suite: bad input: a clear 4xx in the dialect's shape, and nothing spent. Each test names the protection it proves; removing it makes the test fail. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { admin, call, chat, eventually } from "../helpers/guard";
import { today, ledger, ZERO, setup, withEnv, post, restoreAfterEach } from "../helpers/traffic";

restoreAfterEach();

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
