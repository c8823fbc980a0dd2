/**
 * `POST /v1/usage`: spend made elsewhere, recorded after the fact. It counts
 * in every scope of its user and feature, is recorded even past a limit (it
 * already happened) and then blocks; a retry with the same Idempotency-Key
 * records nothing new; and it appears in every report under its source.
 */
import { describe, expect, it } from "vitest";
import { ADMIN_TOKEN, admin, call, chat, createKey, createTenant } from "../helpers/guard";
import { hello, ledger, today } from "../helpers/traffic";
import { commitApi, reserveApi, usageApi } from "../helpers/app-layer";

async function userKey(config: Record<string, unknown> = { limits: { daily: 1 } }) {
  const t = await createTenant(config);
  return { t, key: await createKey(t, { name: "k", role: "user", userId: "u" }) };
}

describe("POST /v1/usage", () => {
  it("records the spend in every scope of its user and feature, under its source", async () => {
    const { t, key } = await userKey();
    const r = await usageApi(key, { costUsd: 0.2, source: "serpapi", description: "November searches" }, "bill-1", { "x-budget-feature": "search" });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      object: "usage",
      costUsd: 0.2,
      user: "u",
      feature: "search",
      source: "serpapi",
      model: null,
      reportedAs: "serpapi",
      overLimit: false,
      budget: { scope: "tenant:daily", remainingUsd: 0.8 },
    });
    const spent = { spent: 200_000, reserved: 0, requests: 1 };
    for (const scope of ["tenant", "user:u", "feature:search"]) expect(await ledger(t).counter(scope, today())).toEqual(spent);
  });

  it("a retry with the same Idempotency-Key records nothing and answers as the first; another body is a 422", async () => {
    const { t, key } = await userKey();
    const body = { usage: { model: "mock-small", inputTokens: 1000, outputTokens: 1000 }, source: "openai-batch" };
    const first = await usageApi(key, body, "job-7");
    expect(first.status).toBe(201);
    // 1000 × $0.15/M + 1000 × $0.60/M, at the tenant's price for the model.
    expect(first.body).toMatchObject({ costUsd: 0.00075, model: "mock-small", reportedAs: "openai-batch/mock-small" });
    const retry = await usageApi(key, { source: "openai-batch", usage: { outputTokens: 1000, inputTokens: 1000, model: "mock-small" } }, "job-7");
    expect(retry.status).toBe(201);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(retry.body).toEqual(first.body);
    const reused = await usageApi(key, { ...body, usage: { ...body.usage, outputTokens: 5 } }, "job-7");
    expect(reused.status).toBe(422);
    expect(reused.body.error?.code).toBe("idempotency_key_reused");
    expect(await ledger(t).counter("tenant", today())).toEqual({ spent: 750, reserved: 0, requests: 1 });
    // Concurrent retries of a new key: one record.
    const burst = await Promise.all(Array.from({ length: 8 }, () => usageApi(key, { costUsd: 0.01, source: "x" }, "job-8")));
    expect(burst.every((r) => r.status === 201 || r.status === 409)).toBe(true);
    expect(await ledger(t).counter("tenant", today())).toEqual({ spent: 10_750, reserved: 0, requests: 2 });
  });

  it("scopes the Idempotency-Key to the guard key, and requires it", async () => {
    const { t, key } = await userKey();
    const other = await createKey(t, { name: "k2", role: "user", userId: "u2" });
    expect((await usageApi(key, { costUsd: 0.01, source: "x" }, "same")).status).toBe(201);
    const theirs = await usageApi(other, { costUsd: 0.01, source: "x" }, "same");
    expect(theirs.status).toBe(201);
    expect(theirs.headers.get("idempotent-replayed")).toBeNull();
    const missing = await usageApi(key, { costUsd: 0.01, source: "x" }, null);
    expect(missing.status).toBe(400);
    expect(missing.body.error?.param).toBe("idempotency-key");
    expect((await ledger(t).counter("tenant", today())).spent).toBe(20_000);
  });

  it("refuses bad input naming the field, and records nothing", async () => {
    const { t, key } = await userKey();
    const cases: [Record<string, unknown>, string][] = [
      [{ costUsd: 0.01 }, "source"],
      [{ source: "x" }, "costUsd"],
      [{ costUsd: -1, source: "x" }, "costUsd"],
      [{ costUsd: 0.01, usage: { model: "mock-small", inputTokens: 1, outputTokens: 1 }, source: "x" }, "costUsd"],
      [{ usage: { model: "mock-small", inputTokens: 1.5, outputTokens: 1 }, source: "x" }, "usage.inputTokens"],
    ];
    for (const [body, param] of cases) {
      const r = await usageApi(key, body, `bad-${param}`);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error?.param, JSON.stringify(body)).toBe(param);
    }
    const unpriced = await usageApi(key, { usage: { model: "no-such-model", inputTokens: 1, outputTokens: 1 }, source: "x" }, "u-1");
    expect(unpriced.status).toBe(400);
    expect(unpriced.body.error).toMatchObject({ code: "model_not_priced", param: "usage.model" });
    expect((await ledger(t).counter("tenant", today())).requests).toBe(0);
  });

  it("is recorded even past the hard limit, says so, and from then on blocks reservations and proxied calls", async () => {
    const { t, key } = await userKey({ limits: { daily: 0.01 }, blockStatus: 429 });
    const r = await usageApi(key, { costUsd: 0.05, source: "invoice" }, "inv-1");
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ overLimit: true, budget: { remainingUsd: 0 } });
    expect(r.headers.get("x-budget-warning")).toMatch(/^tenant:daily 500% used/);
    expect((await ledger(t).counter("tenant", today())).spent).toBe(50_000);
    expect((await reserveApi(key, { amountUsd: 0.001 })).status).toBe(429);
    expect((await chat(key, { model: "mock-small", ...hello, max_tokens: 10 })).status).toBe(429);
    const alerts = (await ledger(t).listAlerts()).filter((a) => a.scope === "tenant").map((a) => a.kind);
    expect(alerts).toEqual(expect.arrayContaining(["soft_limit", "hard_limit"]));
  });
});

describe("reports include application-layer spend", () => {
  it("usage by user, feature and model (source visible), the review, and the chargeback CSV", async () => {
    const { t, key } = await userKey({ limits: { daily: 10, monthly: 100 } });
    await admin("PUT", `/tenants/${t}/features/search`, { limits: { monthly: 50 } });
    await usageApi(key, { costUsd: 1, source: "serpapi" }, "r-1", { "x-budget-feature": "search" });
    const held = await reserveApi(key, { estimate: { model: "mock-large", inputTokens: 1000, maxOutputTokens: 1000 } }, { "x-budget-feature": "search" });
    await commitApi(key, held.body.id, { usage: { model: "mock-large", inputTokens: 1000, outputTokens: 1000 } });
    await chat(key, { model: "mock-small", ...hello, max_tokens: 10 });
    type Report = { total: { spendUsd: number }; groups: { group: string; spendUsd: number; requests: number }[] };
    const report = async (groupBy: string) =>
      (await (await admin("GET", `/tenants/${t}/usage?period=day&groupBy=${groupBy}`)).json()) as Report;

    const byModel = await report("model");
    const models = Object.fromEntries(byModel.groups.map((g) => [g.group, g.spendUsd]));
    expect(models).toMatchObject({ serpapi: 1, "app/mock-large": 0.0125 });
    expect(Object.keys(models)).toContain("mock-small");
    const byFeature = await report("feature");
    expect(byFeature.groups.find((g) => g.group === "search")).toMatchObject({ spendUsd: 1.0125, requests: 2 });
    const byUser = await report("user");
    expect(byUser.groups.find((g) => g.group === "u")?.requests).toBe(3);
    expect(byUser.total.spendUsd).toBeGreaterThan(1.0125);

    const review = (await (await admin("GET", `/tenants/${t}/review`)).json()) as { features: { feature: string; spentUsd: number }[] };
    expect(review.features.find((f) => f.feature === "search")?.spentUsd).toBe(1.0125);

    const csv = await call(`/admin/v1/tenants/${t}/usage?period=month&groupBy=model`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, accept: "text/csv" },
    });
    expect(csv.headers.get("content-type")).toMatch(/text\/csv/);
    const text = await csv.text();
    expect(text).toMatch(/,serpapi,/);
    expect(text).toMatch(/,app\/mock-large,/);
  });
});
