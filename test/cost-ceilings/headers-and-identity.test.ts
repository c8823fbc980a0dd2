/**
 * Red team, headers and identity (issue 12): client headers that move billing
 * (beta features, another organisation or project) reach the provider only
 * when the tenant allows them; a key cannot walk out of a feature limit by
 * naming an undeclared feature; an Idempotency-Key replays only the same
 * caller's same request, never another user's answer.
 */
import { describe, expect, it } from "vitest";
import { admin, call, chat, createKey, createTenant } from "../helpers/guard";
import { billingDouble, expectHeld, settled, usd } from "../helpers/billing-double";
import { hello, ledger, restoreAfterEach, setup, today } from "../helpers/traffic";

restoreAfterEach();

const BILLING_HEADERS = {
  "anthropic-beta": "context-1m-2025-08-07",
  "openai-organization": "org-elsewhere",
  "openai-project": "proj_elsewhere",
};

function send(key: string, path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return call(path, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
}

const ROUTES: [string, Record<string, unknown>][] = [
  ["/v1/chat/completions", { model: "gpt-4o-mini", ...hello, max_tokens: 10 }],
  ["/v1/responses", { model: "gpt-4o-mini", input: "Hello", max_output_tokens: 16 }],
  ["/v1/embeddings", { model: "text-embedding-3-small", input: "Hello" }],
  ["/v1/messages", { model: "claude-haiku-4-5", ...hello, max_tokens: 10 }],
];

describe("headers that change billing", () => {
  it.each(ROUTES)("%s: anthropic-beta, openai-organization and openai-project are not forwarded by default", async (path, body) => {
    const { t, key } = await setup({ limits: { daily: 1 } });
    const double = billingDouble();
    const res = await send(key, path, body, BILLING_HEADERS);
    await res.text();
    expect(res.status).toBe(200);
    expect(double.outbound).toHaveLength(1);
    for (const h of Object.keys(BILLING_HEADERS)) expect(double.outbound[0]?.headers.get(h), h).toBeNull();
    await expectHeld(t, double, [res.status], usd(1));
  });

  it("with forwardHeaders the listed headers (and only those) reach the provider", async () => {
    const { key } = await setup({ limits: { daily: 1 }, forwardHeaders: ["anthropic-beta"] });
    const double = billingDouble();
    await (await send(key, "/v1/messages", ROUTES[3]?.[1], BILLING_HEADERS)).text();
    await (await send(key, "/v1/chat/completions", ROUTES[0]?.[1], BILLING_HEADERS)).text();
    expect(double.outbound[0]?.headers.get("anthropic-beta")).toBe(BILLING_HEADERS["anthropic-beta"]);
    expect(double.outbound[1]?.headers.get("openai-organization")).toBeNull();
    expect(double.outbound[1]?.headers.get("openai-project")).toBeNull();
  });
});

describe("features a key may name", () => {
  it("requireDeclaredFeatures: an undeclared X-Budget-Feature is a 403 undeclared_feature, nothing sent", async () => {
    const { t, key } = await setup({ limits: { daily: 1 }, requireDeclaredFeatures: true });
    expect((await admin("PUT", `/tenants/${t}/features/agent`, { limits: { daily: 0.0001 } })).status).toBeLessThan(300);
    const double = billingDouble();
    const res = await chat(key, { model: "gpt-4o-mini", ...hello, max_tokens: 10 }, { "X-Budget-Feature": "escape-hatch" });
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ error: { code: "undeclared_feature" } });
    expect(double.calls).toEqual([]);
    await expectHeld(t, double, [res.status], usd(1));
  });

  it("requireDeclaredFeatures: once a declared feature's limit is reached, naming another feature does not walk out of it", async () => {
    const { t, key } = await setup({ limits: { daily: 1 }, requireDeclaredFeatures: true });
    await admin("PUT", `/tenants/${t}/features/agent`, { limits: { daily: 0.00002 } });
    const double = billingDouble();
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await chat(key, { model: "gpt-4o-mini", ...hello, max_tokens: 20 }, { "X-Budget-Feature": "agent" });
      await res.text();
      statuses.push(res.status);
    }
    expect(statuses).toContain(402);
    const escape = await chat(key, { model: "gpt-4o-mini", ...hello, max_tokens: 20 }, { "X-Budget-Feature": `agent-${Date.now()}` });
    expect(escape.status).toBe(403);
    await settled(t);
    const agent = await ledger(t).counter("feature:agent", today());
    expect(agent.spent, "the feature's spend stays within its limit").toBeLessThanOrEqual(usd(0.00002));
    expect(agent.spent).toBeGreaterThanOrEqual(double.bill());
  });

  it("a key bound to a feature is counted against it whatever X-Budget-Feature says", async () => {
    const t = await createTenant({ limits: { daily: 1 }, requireDeclaredFeatures: true });
    await admin("PUT", `/tenants/${t}/features/agent`, { limits: { daily: 0.00002 } });
    await admin("PUT", `/tenants/${t}/features/other`, { limits: { daily: 1 } });
    const key = await createKey(t, { name: "bound", role: "user", userId: "u", feature: "agent" });
    const double = billingDouble();
    for (let i = 0; i < 5; i++) {
      await (await chat(key, { model: "gpt-4o-mini", ...hello, max_tokens: 20 }, { "X-Budget-Feature": "other" })).text();
    }
    await settled(t);
    const agent = await ledger(t).counter("feature:agent", today());
    expect(agent.spent).toBeLessThanOrEqual(usd(0.00002));
    expect(agent.spent).toBeGreaterThanOrEqual(double.bill());
    expect((await ledger(t).counter("feature:other", today())).spent).toBe(0);
  });
});

describe("Idempotency-Key scope", () => {
  async function serviceKey() {
    const t = await createTenant({ limits: { daily: 1 } });
    return { t, key: await createKey(t, { name: "backend", role: "service" }) };
  }
  const body = { model: "gpt-4o-mini", messages: [{ role: "user", content: "Alice's secret question" }], max_tokens: 10 };

  it("the same caller's same request is replayed without a second provider call", async () => {
    const { t, key } = await serviceKey();
    const double = billingDouble();
    const first = await send(key, "/v1/chat/completions", body, { "Idempotency-Key": "k-1", "X-Budget-User": "alice" });
    const a = await first.text();
    await settled(t);
    const again = await send(key, "/v1/chat/completions", body, { "Idempotency-Key": "k-1", "X-Budget-User": "alice" });
    expect(again.status).toBe(200);
    expect(await again.text()).toBe(a);
    expect(double.calls).toHaveLength(1);
    await expectHeld(t, double, [200], usd(1));
  });

  it.each([
    ["another user of the same service key", "/v1/chat/completions", body, { "X-Budget-User": "bob" }],
    [
      "another route",
      "/v1/responses",
      { model: "gpt-4o-mini", input: "Alice's secret question", max_output_tokens: 16 },
      { "X-Budget-User": "alice" },
    ],
    ["another body", "/v1/chat/completions", { ...body, max_tokens: 11 }, { "X-Budget-User": "alice" }],
    ["another feature", "/v1/chat/completions", body, { "X-Budget-User": "alice", "X-Budget-Feature": "other" }],
  ])("the same Idempotency-Key from %s is a 422, never the first caller's answer", async (_n, path, second, headers) => {
    const { t, key } = await serviceKey();
    const double = billingDouble();
    const first = await send(key, "/v1/chat/completions", body, { "Idempotency-Key": "k-2", "X-Budget-User": "alice" });
    const answer = await first.text();
    expect(first.status).toBe(200);
    await settled(t);
    const res = await send(key, path, second, { "Idempotency-Key": "k-2", ...headers });
    const text = await res.text();
    expect(res.status).toBe(422);
    expect(JSON.parse(text)).toMatchObject({ error: { code: "idempotency_key_reused" } });
    expect(text).not.toContain(JSON.parse(answer).id);
    expect(double.calls, "the provider saw only the first call").toHaveLength(1);
    await expectHeld(t, double, [200, res.status], usd(1));
  });

  it("another key of the same tenant with the same Idempotency-Key gets its own call, not the first key's answer", async () => {
    const { t, key } = await serviceKey();
    const other = await createKey(t, { name: "other backend", role: "service" });
    const double = billingDouble();
    const first = await send(key, "/v1/chat/completions", body, { "Idempotency-Key": "k-3", "X-Budget-User": "alice" });
    const answer = JSON.parse(await first.text()) as { id: string };
    await settled(t);
    const res = await send(other, "/v1/chat/completions", body, { "Idempotency-Key": "k-3", "X-Budget-User": "alice" });
    const text = await res.text();
    expect([200, 422]).toContain(res.status);
    expect(text).not.toContain(answer.id);
    await expectHeld(t, double, [200, res.status], usd(1));
  });
});
