/**
 * Application-layer reservations through the worker: a hold is reserved in
 * every scope like a proxied call (limits, soft warnings, degrade, clamp,
 * blocks with the same answer), committed once at the reported cost, or
 * released; bad input is a 400 naming the field and holds nothing.
 */
import { describe, expect, it } from "vitest";
import { call, chat, createKey, createTenant } from "../helpers/guard";
import { hello, ledger, today, ZERO } from "../helpers/traffic";
import { commitApi, micros, releaseApi, reserveApi } from "../helpers/app-layer";

async function userKey(config: Record<string, unknown> = { limits: { daily: 1 } }) {
  const t = await createTenant(config);
  return { t, key: await createKey(t, { name: "app", role: "user", userId: "u" }) };
}

const counter = (t: string, scope: string) => ledger(t).counter(scope, today());

describe("POST /v1/reservations", () => {
  it("holds an amount in every scope the caller falls under and says where it stands", async () => {
    const { t, key } = await userKey();
    const before = Date.now();
    const r = await reserveApi(key, { amountUsd: 0.1, metadata: { job: "resize-42" } }, { "x-budget-feature": "images" });
    const after = Date.now();
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      object: "reservation",
      amountUsd: 0.1,
      user: "u",
      feature: "images",
      source: "app",
      model: null,
      metadata: { job: "resize-42" },
      budget: { scope: "tenant:daily", limitUsd: 1, remainingUsd: 0.9 },
    });
    expect(r.body.id).toMatch(/^res_/);
    // The default ttlSeconds is 300.
    const expires = Date.parse(r.body.expiresAt);
    expect(expires).toBeGreaterThanOrEqual(before + 300_000);
    expect(expires).toBeLessThanOrEqual(after + 300_000);
    expect(r.headers.get("x-budget-scope")).toBe("tenant:daily");
    expect(r.headers.get("x-budget-remaining-usd")).toBe("0.9");
    for (const scope of ["tenant", "user:u", "feature:images"]) expect(await counter(t, scope)).toEqual({ ...ZERO, reserved: 100_000 });
  });

  it("prices an estimate like a proxied call of that size: the model's price, degrade past the soft limit, clamp to fit", async () => {
    const { key } = await userKey({ limits: { daily: 1 } });
    const estimate = { model: "mock-large", inputTokens: 1000, maxOutputTokens: 1000 };
    // 1000 × $2.50/M + 1000 × $10/M.
    const plain = await reserveApi(key, { estimate });
    expect(plain.body).toMatchObject({ amountUsd: 0.0125, model: "mock-large", maxOutputTokens: 1000, clamped: false });

    const degrading = await userKey({ limits: { daily: 0.02 }, softLimitPct: 0.5, degrade: { "mock-large": "mock-small" } });
    const degraded = await reserveApi(degrading.key, { estimate });
    expect(degraded.body).toMatchObject({ model: "mock-small", degradedFrom: "mock-large", amountUsd: 0.00075 });
    expect(degraded.headers.get("x-budget-degraded-from")).toBe("mock-large");

    // $0.0075 leaves room for the input ($0.0025) and 500 output tokens.
    const clamping = await userKey({ limits: { daily: 0.0075 } });
    const clamped = await reserveApi(clamping.key, { estimate });
    expect(clamped.body).toMatchObject({ model: "mock-large", maxOutputTokens: 500, clamped: true, amountUsd: 0.0075 });
    expect(clamped.headers.get("x-budget-clamped-max-tokens")).toBe("500");
  });

  it("is blocked exactly as a proxied call is: same status, code, message and budget headers; nothing held", async () => {
    const { t, key } = await userKey({ limits: { daily: 0.0002 }, minOutputTokens: 1000, blockStatus: 429 });
    const proxied = await chat(key, { model: "mock-small", ...hello, max_tokens: 1000 });
    const app = await reserveApi(key, { amountUsd: 0.001 });
    expect(proxied.status).toBe(429);
    expect(app.status).toBe(429);
    const proxiedBody = (await proxied.json()) as { error: Record<string, unknown> };
    expect(app.body.error).toEqual(proxiedBody.error);
    expect(app.body.error).toMatchObject({ type: "budget_exceeded", code: "tenant_daily_budget_exceeded", param: null });
    for (const h of ["x-budget-scope", "x-budget-limit-usd", "x-budget-remaining-usd", "x-budget-reset", "x-should-retry", "ratelimit-policy"]) {
      expect(app.headers.get(h), h).toBe(proxied.headers.get(h));
    }
    expect(Number(app.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(await counter(t, "tenant")).toEqual(ZERO);
    const alerts = (await ledger(t).listAlerts()).filter((a) => a.kind === "hard_limit" && a.scope === "tenant");
    expect(alerts).toHaveLength(1);

    // The tenant's blockStatus decides, as for proxied calls.
    const paying = await userKey({ limits: { daily: 0.0002 }, minOutputTokens: 1000, blockStatus: 402 });
    expect((await chat(paying.key, { model: "mock-small", ...hello, max_tokens: 1000 })).status).toBe(402);
    expect((await reserveApi(paying.key, { amountUsd: 0.001 })).status).toBe(402);
  });

  it("warns past the soft limit, in the body and X-Budget-Warning, and queues the alert", async () => {
    const { t, key } = await userKey({ limits: { daily: 1 }, softLimitPct: 0.5 });
    const r = await reserveApi(key, { amountUsd: 0.6 });
    expect(r.body.warnings).toEqual(["tenant:daily 60% used"]);
    expect(r.headers.get("x-budget-warning")).toBe("tenant:daily 60% used");
    expect((await ledger(t).listAlerts()).some((a) => a.kind === "soft_limit" && a.scope === "tenant")).toBe(true);
  });

  it("refuses bad input with a 400 naming the field, in the OpenAI error shape, and holds nothing", async () => {
    const { t, key } = await userKey();
    const estimate = { model: "mock-small", inputTokens: 10, maxOutputTokens: 10 };
    const cases: [Record<string, unknown>, string][] = [
      [{ amountUsd: 0 }, "amountUsd"],
      [{ amountUsd: -1 }, "amountUsd"],
      [{ amountUsd: "1" }, "amountUsd"],
      [{ amountUsd: 2_000_000 }, "amountUsd"],
      [{}, "amountUsd"],
      [{ amountUsd: 1, estimate }, "amountUsd"],
      [{ amountUsd: 1, ttlSeconds: 0 }, "ttlSeconds"],
      [{ amountUsd: 1, ttlSeconds: 3601 }, "ttlSeconds"],
      [{ amountUsd: 1, ttlSeconds: 1.5 }, "ttlSeconds"],
      [{ estimate: { ...estimate, inputTokens: -1 } }, "estimate.inputTokens"],
      [{ estimate: { ...estimate, maxOutputTokens: 0 } }, "estimate.maxOutputTokens"],
      [{ amountUsd: 1, source: "a/b" }, "source"],
      [{ amountUsd: 1, user: "not ok" }, "user"],
    ];
    for (const [body, param] of cases) {
      const r = await reserveApi(key, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error, JSON.stringify(body)).toMatchObject({ type: "invalid_request_error", param });
      expect(r.body.error?.message).toContain(param);
    }
    const neither = await reserveApi(key, {});
    expect(neither.body.error?.message).toMatch(/send amountUsd or estimate/);
    // Infinity cannot be spelled in JSON, but 1e400 parses to it.
    const infinite = await call("/v1/reservations", {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: '{"amountUsd": 1e400}',
    });
    expect(infinite.status).toBe(400);
    const unpriced = await reserveApi(key, { estimate: { ...estimate, model: "no-such-model" } });
    expect(unpriced.status).toBe(400);
    expect(unpriced.body.error?.code).toBe("model_not_priced");
    const header = await reserveApi(key, { amountUsd: 1 }, { "x-budget-feature": "no spaces" });
    expect(header.body.error?.param).toBe("x-budget-feature");
    const text = await call("/v1/reservations", { method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "text/plain" }, body: "{}" });
    expect(text.status).toBe(415);
    const broken = await call("/v1/reservations", {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: "{",
    });
    expect(broken.status).toBe(400);
    expect(await counter(t, "tenant")).toEqual(ZERO);
  });

  it("needs a guard key", async () => {
    const res = await call("/v1/reservations", { method: "POST", headers: { "content-type": "application/json" }, body: '{"amountUsd": 1}' });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { code: "missing_api_key", type: "authentication_error" } });
    const forged = await reserveApi("bg_nosuchtenant_abcdefghijklmnopqrstuvwxyz012345", { amountUsd: 1 });
    expect(forged.status).toBe(401);
  });
});

describe("POST /v1/reservations/{id}/commit", () => {
  it("records the reported cost once; a repeated commit answers with the first and records nothing", async () => {
    const { t, key } = await userKey();
    const { body } = await reserveApi(key, { amountUsd: 0.1 });
    const first = await commitApi(key, body.id, { costUsd: 0.04 });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      object: "reservation.commit",
      id: body.id,
      state: "committed",
      costUsd: 0.04,
      reservedUsd: 0.1,
      overReserved: false,
      afterExpiry: false,
      reportedAs: "app",
    });
    expect(first.headers.get("idempotent-replayed")).toBeNull();
    const spent = { spent: 40_000, reserved: 0, requests: 1 };
    expect(await counter(t, "user:u")).toEqual(spent);
    const again = await commitApi(key, body.id, { costUsd: 0.09 });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(await counter(t, "user:u")).toEqual(spent);
  });

  it("concurrent commits of one reservation record it once", async () => {
    const { t, key } = await userKey();
    const { body } = await reserveApi(key, { amountUsd: 0.1 });
    const all = await Promise.all(Array.from({ length: 10 }, (_, i) => commitApi(key, body.id, { costUsd: 0.01 * (i + 1) })));
    expect(all.every((r) => r.status === 200)).toBe(true);
    expect(new Set(all.map((r) => r.body.costUsd)).size).toBe(1);
    expect(all.filter((r) => r.headers.get("idempotent-replayed") === null)).toHaveLength(1);
    expect((await counter(t, "tenant")).requests).toBe(1);
  });

  it("records a cost above the hold in full and says so", async () => {
    const { t, key } = await userKey();
    const { body } = await reserveApi(key, { amountUsd: 0.01 });
    const c = await commitApi(key, body.id, { costUsd: 0.05 });
    expect(c.body).toMatchObject({ costUsd: 0.05, reservedUsd: 0.01, overReserved: true });
    expect(await counter(t, "tenant")).toEqual({ spent: 50_000, reserved: 0, requests: 1 });
  });

  it("prices usage at the tenant's prices: the hold's own rates for its model, the tenant's price for another", async () => {
    const { t, key } = await userKey({ limits: { daily: 1 }, prices: { "mock-small": { input: 1, output: 2 } } });
    const estimated = await reserveApi(key, { estimate: { model: "mock-large", inputTokens: 1000, maxOutputTokens: 1000 } });
    const c1 = await commitApi(key, estimated.body.id, { usage: { model: "mock-large", inputTokens: 1000, outputTokens: 200 } });
    // 1000 × $2.50/M + 200 × $10/M.
    expect(c1.body).toMatchObject({ costUsd: 0.0045, reportedAs: "app/mock-large" });
    const fixed = await reserveApi(key, { amountUsd: 0.01, source: "worker" });
    const c2 = await commitApi(key, fixed.body.id, { usage: { model: "mock-small", inputTokens: 1000, outputTokens: 1000, cachedInputTokens: 0 } });
    // The tenant's own price: 1000 × $1/M + 1000 × $2/M.
    expect(c2.body).toMatchObject({ costUsd: 0.003, reportedAs: "worker/mock-small" });
    expect((await counter(t, "tenant")).spent).toBe(4500 + 3000);
  });

  it("refuses a commit that is neither a cost nor a priced usage with a 400 naming the fields; the hold stays", async () => {
    const { t, key } = await userKey();
    const { body } = await reserveApi(key, { amountUsd: 0.1 });
    const neither = await commitApi(key, body.id, {});
    expect(neither.status).toBe(400);
    expect(neither.body.error).toMatchObject({ param: "costUsd" });
    expect(neither.body.error?.message).toMatch(/costUsd or usage/);
    expect((await commitApi(key, body.id, { costUsd: 0.01, usage: { model: "mock-small", inputTokens: 1, outputTokens: 1 } })).status).toBe(400);
    expect((await commitApi(key, body.id, { costUsd: -0.01 })).body.error?.param).toBe("costUsd");
    expect((await commitApi(key, body.id, { usage: { model: "mock-small", inputTokens: 1 } })).body.error?.param).toBe("usage.outputTokens");
    const unpriced = await commitApi(key, body.id, { usage: { model: "no-such-model", inputTokens: 1, outputTokens: 1 } });
    expect(unpriced.status).toBe(400);
    expect(unpriced.body.error).toMatchObject({ code: "model_not_priced", param: "usage.model" });
    expect(await counter(t, "tenant")).toEqual({ ...ZERO, reserved: 100_000 });
  });

  it("knows only this tenant's application reservations: anything else is a 404", async () => {
    const { key } = await userKey();
    const other = await userKey();
    const theirs = await reserveApi(other.key, { amountUsd: 0.1 });
    expect((await commitApi(key, theirs.body.id, { costUsd: 0.01 })).status).toBe(404);
    expect((await releaseApi(key, theirs.body.id)).status).toBe(404);
    const unknown = await commitApi(key, "res_nope", { costUsd: 0.01 });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toMatchObject({ code: "reservation_not_found", type: "not_found_error" });
    expect((await commitApi(key, "not/an/id", { costUsd: 0.01 })).status).toBe(404);
  });
});

describe("DELETE /v1/reservations/{id}", () => {
  it("gives the hold back; again is the same answer; a released hold cannot be committed, nor a committed one released", async () => {
    const { t, key } = await userKey();
    const { body } = await reserveApi(key, { amountUsd: 0.1 });
    const released = await releaseApi(key, body.id);
    expect(released.status).toBe(200);
    expect(released.body).toEqual({ object: "reservation", id: body.id, state: "released", amountUsd: 0.1 });
    expect(await counter(t, "tenant")).toEqual(ZERO);
    expect((await releaseApi(key, body.id)).body).toEqual(released.body);
    const late = await commitApi(key, body.id, { costUsd: 0.01 });
    expect(late.status).toBe(409);
    expect(late.body.error?.code).toBe("reservation_released");

    const kept = await reserveApi(key, { amountUsd: 0.1 });
    await commitApi(key, kept.body.id, { costUsd: 0.02 });
    const undo = await releaseApi(key, kept.body.id);
    expect(undo.status).toBe(409);
    expect(undo.body.error?.code).toBe("reservation_committed");
    expect(await counter(t, "tenant")).toEqual({ spent: micros(0.02), reserved: 0, requests: 1 });
  });
});
