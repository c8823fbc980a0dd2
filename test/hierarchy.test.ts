/**
 * The per-tenant hierarchy through the worker: tiers and overrides, features,
 * user×feature, soft warnings, degrade, clamp, the final message, blockStatus,
 * shadow mode and GET /v1/budget.
 */
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import { windowsAt } from "../src/budget/windows";
import { admin, call, chat, createKey, createTenant, eventually, mockUpstream } from "./helpers/guard";

const today = () => windowsAt(Date.now()).daily.key;
const ledger = (tenant: string) => env.TENANT_LEDGER.getByName(tenant);
const hello = { messages: [{ role: "user", content: "Hello" }] };

let upstream: ReturnType<typeof mockUpstream> | undefined;
afterEach(() => {
  upstream?.restore();
  upstream = undefined;
});

async function errorCode(res: Response): Promise<string> {
  return ((await res.json()) as { error: { code: string } }).error.code;
}

describe("where limits come from", () => {
  it("user override, else tier, else userDefaults, else unlimited", async () => {
    const t = await createTenant({ tiers: { free: { daily: 0.00001 }, pro: { daily: 5 } }, userDefaults: { daily: 0.00002 } });
    const svc = await createKey(t, { name: "svc", role: "service" });
    expect((await admin("PUT", `/tenants/${t}/users/freeuser`, { tier: "free" })).status).toBe(200);
    expect((await admin("PUT", `/tenants/${t}/users/prouser`, { tier: "pro" })).status).toBe(200);
    expect((await admin("PUT", `/tenants/${t}/users/vip`, { tier: "free", limits: { daily: 10 } })).status).toBe(200);
    expect((await admin("PUT", `/tenants/${t}/users/nolimit`, { limits: { daily: null } })).status).toBe(200);

    const as = (u: string) => chat(svc, { model: "mock-small", ...hello, max_tokens: 100 }, { "x-budget-user": u });
    const free = await as("freeuser");
    expect(free.status).toBe(402);
    expect(await errorCode(free)).toBe("user_daily_budget_exceeded");
    expect((await as("prouser")).status).toBe(200);
    expect((await as("vip")).status).toBe(200);
    expect((await as("nolimit")).status).toBe(200);
    // No settings at all: the tenant's userDefaults apply.
    const stranger = await as("stranger");
    expect(stranger.status).toBe(402);
    expect(await errorCode(stranger)).toBe("user_daily_budget_exceeded");
  });

  it("feature limits and user×feature limits are their own scopes", async () => {
    const t = await createTenant({ limits: { daily: 10 } });
    const key = await createKey(t, { name: "k", role: "user", userId: "ann" });
    await admin("PUT", `/tenants/${t}/features/search`, { limits: { daily: 0.00001 } });
    await admin("PUT", `/tenants/${t}/users/ann`, { featureLimits: { summarize: { monthly: 0.00001 } } });
    const f = (feature: string) => chat(key, { model: "mock-small", ...hello, max_tokens: 100 }, { "x-budget-feature": feature });
    const search = await f("search");
    expect(search.status).toBe(402);
    expect(await errorCode(search)).toBe("feature_daily_budget_exceeded");
    const summarize = await f("summarize");
    expect(summarize.status).toBe(402);
    expect(await errorCode(summarize)).toBe("user_feature_monthly_budget_exceeded");
    expect((await f("chat")).status).toBe(200);
  });
});

describe("soft limit", () => {
  it("warns past the threshold and queues one alert per scope, window and threshold", async () => {
    const t = await createTenant({ limits: { daily: 0.0001 }, softLimitPct: 0.5 });
    const key = await createKey(t, { name: "k", role: "user", userId: "u" });
    const first = await chat(key, { model: "mock-small", ...hello, max_tokens: 100 });
    expect(first.status).toBe(200);
    expect(first.headers.get("x-budget-warning")).toMatch(/^tenant:daily \d+% used$/);
    await chat(key, { model: "mock-small", ...hello, max_tokens: 10 });
    const alerts = (await ledger(t).listAlerts()).filter((a) => a.scope === "tenant");
    expect(alerts.filter((a) => a.kind === "soft_limit" && a.win === today())).toHaveLength(1);
  });
});

describe("degrade", () => {
  it("sends the call to the cheaper model past the soft limit and prices it there", async () => {
    // One mock-large call with max_tokens 100 reserves ~1 micro-USD/token of output: past 80% of $0.0012.
    const t = await createTenant({ limits: { daily: 0.0012 }, degrade: { "mock-large": "mock-small" } });
    const key = await createKey(t, { name: "k", role: "user", userId: "u" });
    const res = await chat(key, { model: "mock-large", ...hello, max_tokens: 100 });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-budget-degraded-from")).toBe("mock-large");
    const body = (await res.json()) as { model: string; usage: { prompt_tokens: number; completion_tokens: number } };
    expect(body.model).toBe("mock-small");
    const cost = Math.ceil((body.usage.prompt_tokens * 150_000 + body.usage.completion_tokens * 600_000) / 1_000_000);
    await eventually(async () => expect(await ledger(t).counter("tenant", today())).toMatchObject({ spent: cost, reserved: 0 }));
  });

  it("does not degrade while under the soft limit", async () => {
    const t = await createTenant({ limits: { daily: 10 }, degrade: { "mock-large": "mock-small" } });
    const key = await createKey(t, { name: "k", role: "user", userId: "u" });
    const res = await chat(key, { model: "mock-large", ...hello, max_tokens: 100 });
    expect(res.headers.get("x-budget-degraded-from")).toBeNull();
    expect(((await res.json()) as { model: string }).model).toBe("mock-large");
  });
});

describe("clamp", () => {
  it("lowers the forwarded max_tokens to what fits and says so", async () => {
    upstream = mockUpstream((req) => {
      const sent = JSON.parse(req.body) as { max_tokens: number };
      return Response.json({
        id: "x",
        object: "chat.completion",
        choices: [],
        usage: { prompt_tokens: 10, completion_tokens: sent.max_tokens, total_tokens: 10 + sent.max_tokens },
      });
    });
    // gpt-4o-mini output is $0.60/M: $0.0003 pays for ~490 output tokens after a small input.
    const t = await createTenant({ limits: { daily: 0.0003 } });
    const key = await createKey(t, { name: "k", role: "user", userId: "u" });
    const res = await chat(key, { model: "gpt-4o-mini", ...hello, max_tokens: 4000 });
    expect(res.status).toBe(200);
    const clamped = Number(res.headers.get("x-budget-clamped-max-tokens"));
    expect(clamped).toBeGreaterThanOrEqual(256);
    expect(clamped).toBeLessThan(500);
    expect(JSON.parse(upstream.calls[0]!.body)).toMatchObject({ max_tokens: clamped });
    // The hard limit holds even if the model uses its whole (clamped) allowance.
    await eventually(async () => expect((await ledger(t).counter("tenant", today())).spent).toBeLessThanOrEqual(300));
  });

  it("blocks when not even minOutputTokens fit", async () => {
    upstream = mockUpstream(() => Response.json({}));
    const t = await createTenant({ limits: { daily: 0.0003 }, minOutputTokens: 1000 });
    const key = await createKey(t, { name: "k", role: "user", userId: "u" });
    const res = await chat(key, { model: "gpt-4o-mini", ...hello, max_tokens: 4000 });
    expect(res.status).toBe(402);
    expect(upstream.calls).toHaveLength(0);
  });
});

describe("hard limit", () => {
  it("adds the tenant's upgrade message and honours blockStatus 429 (the default is 402)", async () => {
    const t = await createTenant({ limits: { daily: 0.000001 }, blockStatus: 429, upgradeMessage: "Upgrade to Pro for more." });
    const key = await createKey(t, { name: "k", role: "user", userId: "u" });
    const res = await chat(key, { model: "mock-small", ...hello, max_tokens: 100 });
    expect(res.status).toBe(429);
    expect(res.headers.get("x-should-retry")).toBe("false");
    expect(res.headers.get("ratelimit")).toMatch(/^"tenant-daily";r=\d+;t=\d+$/);
    const body = (await res.json()) as { error: { message: string; code: string } };
    expect(body.error.message).toMatch(/reached; resets at .+\. Upgrade to Pro for more\.$/);
  });

  it("answers the first block of a user in a window with one free final message", async () => {
    const t = await createTenant({ userDefaults: { daily: 0.000001 }, onHardLimit: "message" });
    const svc = await createKey(t, { name: "svc", role: "service" });
    const send = (u: string) => chat(svc, { model: "mock-small", ...hello, max_tokens: 100 }, { "x-budget-user": u });
    const first = await send("dora");
    expect(first.status).toBe(200);
    expect(first.headers.get("x-budget-final-message")).toBe("true");
    const body = (await first.json()) as { choices: { message: { role: string; content: string } }[]; usage: { total_tokens: number } };
    expect(body.choices[0]?.message).toMatchObject({ role: "assistant" });
    expect(body.choices[0]?.message.content).toMatch(/^Daily budget of \$0\.000001 for user dora reached; resets at/);
    expect(body.usage.total_tokens).toBe(0);
    expect((await send("dora")).status).toBe(402);
    // Another user gets their own one message.
    expect((await send("eve")).status).toBe(200);
    expect((await ledger(t).counter("tenant", today())).spent).toBe(0);
  });
});

describe("shadow mode", () => {
  it("blocks nothing but says what enforcement would do, and counts the spend", async () => {
    upstream = mockUpstream((req) => {
      const sent = JSON.parse(req.body) as { max_tokens: number };
      return Response.json({
        id: "x",
        object: "chat.completion",
        choices: [],
        usage: { prompt_tokens: 10, completion_tokens: sent.max_tokens, total_tokens: 0 },
      });
    });
    const t = await createTenant({ limits: { daily: 0.000001 }, mode: "shadow", degrade: { "gpt-4o": "gpt-4o-mini" } });
    const key = await createKey(t, { name: "k", role: "user", userId: "u" });
    const res = await chat(key, { model: "gpt-4o", ...hello, max_tokens: 4000 });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-budget-shadow")).toBe("tenant_daily_budget_exceeded");
    expect(res.headers.get("x-budget-degraded-from")).toBeNull();
    expect(res.headers.get("x-budget-clamped-max-tokens")).toBeNull();
    expect(JSON.parse(upstream.calls[0]!.body)).toMatchObject({ model: "gpt-4o", max_tokens: 4000 });
    await eventually(async () => expect((await ledger(t).counter("tenant", today())).spent).toBeGreaterThan(1));
  });
});

describe("GET /v1/budget", () => {
  it("lists every scope the caller falls under", async () => {
    const t = await createTenant({ limits: { daily: 10, monthly: 100 }, userDefaults: { daily: 1 } });
    await admin("PUT", `/tenants/${t}/features/search`, { limits: { monthly: 20 } });
    const key = await createKey(t, { name: "k", role: "user", userId: "fay", feature: "search" });
    await chat(key, { model: "mock-small", ...hello, max_tokens: 50 });
    const res = await eventually(async () => {
      const r = await call("/v1/budget", { headers: { authorization: `Bearer ${key}` } });
      const b = (await r.clone().json()) as { scopes: { scope: string; reservedUsd: number }[] };
      expect(b.scopes.every((s) => s.reservedUsd === 0)).toBe(true);
      return r;
    });
    const body = (await res.json()) as { scopes: Record<string, unknown>[] };
    const byKey = Object.fromEntries(body.scopes.map((s) => [`${s.scope}:${s.window}`, s]));
    expect(Object.keys(byKey).sort()).toEqual([
      "feature:daily",
      "feature:monthly",
      "tenant:daily",
      "tenant:monthly",
      "user:daily",
      "user:monthly",
    ]);
    expect(byKey["tenant:daily"]).toMatchObject({ id: t, limitUsd: 10, resetsAt: expect.stringMatching(/T00:00:00Z$/) });
    expect(byKey["user:daily"]).toMatchObject({ id: "fay", limitUsd: 1 });
    expect(byKey["user:monthly"]).toMatchObject({ limitUsd: null, remainingUsd: null });
    expect(byKey["feature:monthly"]).toMatchObject({ id: "search", limitUsd: 20 });
    expect(byKey["tenant:daily"]!.spentUsd).toBeGreaterThan(0);
  });

  it("lets a service key ask about a named user", async () => {
    const t = await createTenant({ userDefaults: { daily: 2 } });
    const svc = await createKey(t, { name: "svc", role: "service" });
    const res = await call("/v1/budget", { headers: { authorization: `Bearer ${svc}`, "x-budget-user": "gus" } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { scopes: { scope: string; id: string; limitUsd: number | null }[] };
    expect(body.scopes.find((s) => s.scope === "user")).toMatchObject({ id: "gus", limitUsd: 2 });
    const missing = await call("/v1/budget", { headers: { authorization: `Bearer ${svc}` } });
    expect(missing.status).toBe(400);
  });
});
