/**
 * The admin API through the worker: the role matrix on every route, happy
 * paths and validation failures, revocation, deletion, reports, CSV, audit
 * and the OpenAPI document.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { windowsAt } from "../src/budget/windows";
import type { TenantLedger } from "../src/ledger/tenant-ledger";
import { ADMIN_TOKEN, admin, call, chat, createKey, createTenant, eventually, uniqueTenant } from "./helpers/guard";

const hello = { messages: [{ role: "user", content: "Hello" }] };

interface Actors {
  operator: string;
  adminA: string;
  adminB: string;
  userA: string;
  serviceA: string;
  none: string;
  wrong: string;
}

describe("role matrix", () => {
  let A: string;
  let actors: Actors;
  beforeAll(async () => {
    A = await createTenant({ name: "Tenant A", limits: { daily: 1 } });
    const B = await createTenant({ name: "Tenant B" });
    actors = {
      operator: ADMIN_TOKEN,
      adminA: await createKey(A, { name: "a-admin", role: "admin" }),
      adminB: await createKey(B, { name: "b-admin", role: "admin" }),
      userA: await createKey(A, { name: "a-user", role: "user", userId: "u1" }),
      serviceA: await createKey(A, { name: "a-svc", role: "service" }),
      none: "",
      wrong: "not-the-token",
    };
  });

  // Expected status per actor: operator, tenant admin of A, tenant admin of B, user key, service key, no key, wrong token.
  type Row = [string, string, (t: string) => string, unknown, [number, number, number, number, number, number, number]];
  const TENANT_ADMIN_OK = (ok: number): Row[4] => [ok, ok, 403, 403, 403, 401, 401];
  const OPERATOR_ONLY = (ok: number): Row[4] => [ok, 403, 403, 403, 403, 401, 401];
  const rows: Row[] = [
    ["replace tenant", "PUT", (t) => `/tenants/${t}`, { name: "Tenant A", limits: { daily: 1 } }, OPERATOR_ONLY(200)],
    ["patch tenant (admin field)", "PATCH", (t) => `/tenants/${t}`, { upgradeMessage: "Upgrade!" }, TENANT_ADMIN_OK(200)],
    ["patch tenant (raise limits)", "PATCH", (t) => `/tenants/${t}`, { limits: { daily: 1 } }, OPERATOR_ONLY(200)],
    ["patch tenant (shadow mode)", "PATCH", (t) => `/tenants/${t}`, { mode: "enforce" }, OPERATOR_ONLY(200)],
    ["read tenant", "GET", (t) => `/tenants/${t}`, undefined, TENANT_ADMIN_OK(200)],
    ["list tenants", "GET", () => `/tenants`, undefined, OPERATOR_ONLY(200)],
    ["delete unknown tenant", "DELETE", () => `/tenants/no-such-tenant-x`, undefined, [404, 403, 403, 403, 403, 401, 401]],
    ["put user", "PUT", (t) => `/tenants/${t}/users/u9`, { tier: "free" }, TENANT_ADMIN_OK(200)],
    ["put feature", "PUT", (t) => `/tenants/${t}/features/f9`, { limits: { daily: 1 } }, TENANT_ADMIN_OK(200)],
    ["create key", "POST", (t) => `/tenants/${t}/keys`, { name: "k", role: "user", userId: "u9" }, TENANT_ADMIN_OK(201)],
    ["list keys", "GET", (t) => `/tenants/${t}/keys`, undefined, TENANT_ADMIN_OK(200)],
    ["revoke unknown key", "DELETE", (t) => `/tenants/${t}/keys/key_AAAAAAAAAAAAAAAA`, undefined, TENANT_ADMIN_OK(404)],
    ["usage", "GET", (t) => `/tenants/${t}/usage?period=day&groupBy=user`, undefined, TENANT_ADMIN_OK(200)],
    ["review", "GET", (t) => `/tenants/${t}/review`, undefined, TENANT_ADMIN_OK(200)],
    ["alerts", "GET", (t) => `/tenants/${t}/alerts`, undefined, TENANT_ADMIN_OK(200)],
    ["audit", "GET", (t) => `/tenants/${t}/audit`, undefined, TENANT_ADMIN_OK(200)],
  ];

  it.each(rows)("%s", async (_name, method, path, body, expected) => {
    const order: (keyof Actors)[] = ["operator", "adminA", "adminB", "userA", "serviceA", "none", "wrong"];
    const got: number[] = [];
    for (const who of order) got.push((await admin(method, path(A), body, actors[who])).status);
    expect(got).toEqual(expected);
  });

  it("refuses a tenant admin key on another tenant's resources without revealing them", async () => {
    const res = await admin("GET", `/tenants/${A}/keys`, undefined, actors.adminB);
    expect(res.status).toBe(403);
    expect(JSON.stringify(await res.json())).not.toContain("a-admin");
  });
});

describe("tenants", () => {
  it("PUT replaces (absent fields take defaults); PATCH merges", async () => {
    const t = await createTenant({ name: "Acme", limits: { daily: 5 }, upgradeMessage: "Pay up" });
    const patched = await admin("PATCH", `/tenants/${t}`, { softLimitPct: 0.5 });
    expect(await patched.json()).toMatchObject({ name: "Acme", limits: { daily: 5 }, softLimitPct: 0.5, upgradeMessage: "Pay up" });
    const replaced = await admin("PUT", `/tenants/${t}`, { name: "Acme" });
    expect(replaced.status).toBe(200);
    expect(await replaced.json()).toMatchObject({ name: "Acme", limits: {}, softLimitPct: 0.8, upgradeMessage: null });
  });

  it.each([
    ["PUT", { limits: { daily: "five" } }, ["limits.daily"]],
    ["PUT", { timezone: "Mars/Olympus" }, ["timezone"]],
    ["PUT", { blockStatus: 500, onHardLimit: "explode" }, ["blockStatus", "onHardLimit"]],
    ["PUT", { unknownField: 1 }, ["(body)"]],
    ["PATCH", { alertWebhook: "not a url" }, ["alertWebhook"]],
  ])("%s 400 names each failing field: %j", async (method, body, fields) => {
    const t = await createTenant();
    const res = await admin(method, `/tenants/${t}`, body);
    expect(res.status).toBe(400);
    const err = (await res.json()) as { error: { code: string; details: { field: string }[] } };
    expect(err.error.code).toBe("validation_failed");
    expect(err.error.details.map((d) => d.field).sort()).toEqual(fields);
  });

  it("400 for an invalid tenant id, 404 for an unknown tenant", async () => {
    expect((await admin("PUT", "/tenants/Bad_Id", {})).status).toBe(400);
    expect((await admin("GET", "/tenants/no-such-tenant-y")).status).toBe(404);
    expect((await admin("PATCH", "/tenants/no-such-tenant-y", { name: "x" })).status).toBe(404);
  });

  it("lists tenants from the directory, paged", async () => {
    const ids = [
      await createTenant({}, uniqueTenant("dir")),
      await createTenant({}, uniqueTenant("dir")),
      await createTenant({}, uniqueTenant("dir")),
    ];
    const seen: string[] = [];
    let after: string | null = null;
    do {
      const res = await admin("GET", `/tenants?limit=2${after ? `&after=${after}` : ""}`);
      const page = (await res.json()) as { tenants: { id: string }[]; next: string | null };
      expect(page.tenants.length).toBeLessThanOrEqual(2);
      seen.push(...page.tenants.map((x) => x.id));
      after = page.next;
    } while (after);
    expect(seen).toEqual(expect.arrayContaining(ids));
    expect([...seen].sort()).toEqual(seen);
  });

  it("deleting a tenant removes its keys at once and its data", async () => {
    const t = await createTenant({ limits: { daily: 1 } });
    const key = await createKey(t, { name: "k", role: "user", userId: "u" });
    expect((await chat(key, { model: "mock-small", ...hello, max_tokens: 10 })).status).toBe(200);
    const del = await admin("DELETE", `/tenants/${t}`);
    expect(del.status).toBe(200);
    expect((await chat(key, { model: "mock-small", ...hello, max_tokens: 10 })).status).toBe(401);
    expect((await admin("GET", `/tenants/${t}`)).status).toBe(404);
    const list = (await (await admin("GET", "/tenants?limit=1000")).json()) as { tenants: { id: string }[] };
    expect(list.tenants.map((x) => x.id)).not.toContain(t);
    const rows = await runInDurableObject(env.TENANT_LEDGER.getByName(t), (_i: TenantLedger, s) =>
      s.storage.sql.exec(`SELECT COUNT(*) AS n FROM counters`).one(),
    );
    expect(rows.n).toBe(0);
  });
});

describe("keys", () => {
  it("shows the key once, lists without secrets, and revocation bites on the next request", async () => {
    const t = await createTenant({ limits: { daily: 1 } });
    const created = (await (await admin("POST", `/tenants/${t}/keys`, { name: "laptop", role: "user", userId: "u" })).json()) as {
      id: string;
      key: string;
    };
    expect(created.key).toMatch(new RegExp(`^bg_${t}_[A-Za-z0-9]{32}$`));
    const listed = await (await admin("GET", `/tenants/${t}/keys`)).text();
    expect(listed).toContain(created.id);
    expect(listed).not.toContain(created.key.slice(-32));
    expect(listed).not.toMatch(/[0-9a-f]{64}/);

    expect((await chat(created.key, { model: "mock-small", ...hello, max_tokens: 10 })).status).toBe(200);
    expect((await admin("DELETE", `/tenants/${t}/keys/${created.id}`)).status).toBe(200);
    expect((await chat(created.key, { model: "mock-small", ...hello, max_tokens: 10 })).status).toBe(401);
  });

  it("refuses an expired key", async () => {
    const t = await createTenant({ limits: { daily: 1 } });
    const key = await createKey(t, { name: "old", role: "user", userId: "u", expiresAt: "2020-01-01T00:00:00Z" });
    expect((await chat(key, { model: "mock-small", ...hello, max_tokens: 10 })).status).toBe(401);
  });

  it.each([
    [{ name: "x", role: "user" }, ["userId"]],
    [{ name: "x", role: "root" }, ["role"]],
    [{ role: "service" }, ["name"]],
    [{ name: "x", role: "admin", userId: "u" }, ["role"]],
    [{ name: "x", role: "user", userId: "bad id!" }, ["userId"]],
  ])("400 for %j", async (body, fields) => {
    const t = await createTenant();
    const res = await admin("POST", `/tenants/${t}/keys`, body);
    expect(res.status).toBe(400);
    const err = (await res.json()) as { error: { details: { field: string }[] } };
    expect(err.error.details.map((d) => d.field)).toEqual(fields);
  });

  it("a user or service key gets 403 on the admin API", async () => {
    const t = await createTenant();
    const user = await createKey(t, { name: "u", role: "user", userId: "u" });
    expect((await admin("GET", `/tenants/${t}`, undefined, user)).status).toBe(403);
  });
});

describe("reports", () => {
  async function spend() {
    const t = await createTenant({
      name: 'Acme, "the" company',
      limits: { daily: 10, monthly: 100 },
      userDefaults: { daily: 1 },
      prices: { "*": { input: 1, output: 1 } },
    });
    await admin("PUT", `/tenants/${t}/features/search`, { limits: { daily: 2, monthly: 20 } });
    const svc = await createKey(t, { name: "svc", role: "service" });
    const send = (user: string, feature: string, model = "mock-small") =>
      chat(svc, { model, ...hello, max_tokens: 20 }, { "x-budget-user": user, "x-budget-feature": feature });
    await send("ann", "search");
    await send("ann", "chat");
    await send("bob", "search");
    const ledger = env.TENANT_LEDGER.getByName(t);
    const day = windowsAt(Date.now()).daily.key;
    await eventually(async () => expect((await ledger.counter("tenant", day)).requests).toBe(3));
    return { t, ledger, day };
  }

  it("groups spend by user, feature and model with limits and utilization", async () => {
    const { t, ledger, day } = await spend();
    const ann = await ledger.counter("user:ann", day);
    const byUser = (await (await admin("GET", `/tenants/${t}/usage?period=day&groupBy=user`)).json()) as {
      total: { spendUsd: number; requests: number; limitUsd: number };
      groups: { group: string; spendUsd: number; limitUsd: number; remainingUsd: number; utilization: number; requests: number }[];
    };
    expect(byUser.total).toMatchObject({ requests: 3, limitUsd: 10 });
    expect(byUser.groups.find((g) => g.group === "ann")).toEqual({
      group: "ann",
      spendUsd: ann.spent / 1e6,
      limitUsd: 1,
      remainingUsd: (1_000_000 - ann.spent) / 1e6,
      utilization: Math.round((ann.spent / 1_000_000) * 10_000) / 10_000,
      requests: 2,
    });
    const byFeature = (await (await admin("GET", `/tenants/${t}/usage?period=month&groupBy=feature`)).json()) as {
      groups: { group: string; limitUsd: number | null; requests: number }[];
    };
    expect(byFeature.groups.find((g) => g.group === "search")).toMatchObject({ limitUsd: 20, requests: 2 });
    expect(byFeature.groups.find((g) => g.group === "chat")).toMatchObject({ limitUsd: null, requests: 1 });
    const byModel = (await (await admin("GET", `/tenants/${t}/usage?groupBy=model`)).json()) as {
      groups: { group: string; requests: number }[];
    };
    expect(byModel.groups).toEqual([expect.objectContaining({ group: "mock-small", requests: 3 })]);
  });

  it("exports well-formed CSV, quoting commas and quotes", async () => {
    const { t } = await spend();
    const res = await call(`/admin/v1/tenants/${t}/usage?groupBy=user`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, accept: "text/csv" },
    });
    expect(res.headers.get("content-type")).toMatch(/^text\/csv/);
    const text = await res.text();
    const lines = text.split("\r\n");
    expect(lines[0]).toBe("tenant,tenant_name,period,at,group_by,group,spend_usd,limit_usd,remaining_usd,utilization,requests,list_usd,net_usd");
    expect(lines[1]).toMatch(new RegExp(`^${t},"Acme, ""the"" company",day,\\d{4}-\\d{2}-\\d{2},user,total,`));
    expect(lines.filter((l) => l.length > 0)).toHaveLength(4);
    expect(text.endsWith("\r\n")).toBe(true);
  });

  it("400s a malformed report query", async () => {
    const { t } = await spend();
    expect((await admin("GET", `/tenants/${t}/usage?period=week`)).status).toBe(400);
    expect((await admin("GET", `/tenants/${t}/usage?period=day&at=2026-13-01`)).status).toBe(400);
    expect((await admin("GET", `/tenants/${t}/review?month=2026-1`)).status).toBe(400);
  });

  it("reviews the month per feature with trend and a suggested action", async () => {
    const t = await createTenant({});
    for (const [f, monthly] of [
      ["data-science", 50],
      ["ml-ops", 30],
      ["research", 80],
      ["infra", 25],
    ] as const) {
      await admin("PUT", `/tenants/${t}/features/${f}`, { limits: { monthly } });
    }
    // The seed's review table, in micro-USD: this month and the previous one.
    const seed: [string, number, number][] = [
      ["data-science", 48_500_000, 40_416_667],
      ["ml-ops", 12_200_000, 12_842_105],
      ["research", 79_800_000, 79_800_000],
      ["infra", 8_100_000, 7_363_636],
    ];
    await runInDurableObject(env.TENANT_LEDGER.getByName(t), (_i: TenantLedger, s) => {
      for (const [f, now, prev] of seed) {
        s.storage.sql.exec(
          `INSERT INTO counters (scope, win, spent, reserved, requests) VALUES (?, 'month:2026-11', ?, 0, 1)`,
          `feature:${f}`,
          now,
        );
        s.storage.sql.exec(
          `INSERT INTO counters (scope, win, spent, reserved, requests) VALUES (?, 'month:2026-10', ?, 0, 1)`,
          `feature:${f}`,
          prev,
        );
      }
    });
    const res = (await (await admin("GET", `/tenants/${t}/review?month=2026-11`)).json()) as {
      previousMonth: string;
      features: { feature: string; utilization: number; trend: number; action: string }[];
    };
    expect(res.previousMonth).toBe("2026-10");
    const by = Object.fromEntries(res.features.map((f) => [f.feature, f]));
    expect(by["data-science"]).toMatchObject({ utilization: 0.97, trend: 0.2, action: "Request +$10.00" });
    expect(by["ml-ops"]).toMatchObject({ utilization: 0.4067, trend: -0.05, action: "OK, monitor" });
    expect(by["research"]).toMatchObject({ utilization: 0.9975, trend: 0, action: "Hard limit active, discuss" });
    expect(by["infra"]).toMatchObject({ utilization: 0.324, trend: 0.1, action: "OK, growing as expected" });
  });
});

describe("audit log", () => {
  it("records who changed what, before and after", async () => {
    const t = await createTenant({ limits: { daily: 1 } });
    const adminKey = (await (await admin("POST", `/tenants/${t}/keys`, { name: "ops", role: "admin" })).json()) as {
      id: string;
      key: string;
    };
    await admin("PATCH", `/tenants/${t}`, { upgradeMessage: "Upgrade" }, adminKey.key);
    await admin("PUT", `/tenants/${t}/users/ann`, { tier: "pro" }, adminKey.key);
    const res = (await (await admin("GET", `/tenants/${t}/audit`)).json()) as {
      entries: {
        actor: string;
        action: string;
        target: string;
        before: Record<string, unknown> | null;
        after: Record<string, unknown> | null;
        at: string;
      }[];
    };
    const [user, patch, key, create] = res.entries;
    expect(user).toMatchObject({ actor: `key:${adminKey.id}`, action: "user.put", target: "ann", before: null, after: { tier: "pro" } });
    expect(patch).toMatchObject({
      actor: `key:${adminKey.id}`,
      action: "tenant.update",
      before: { upgradeMessage: null },
      after: { upgradeMessage: "Upgrade" },
    });
    expect(key).toMatchObject({ actor: "operator", action: "key.create", target: adminKey.id });
    expect(JSON.stringify(key)).not.toContain(adminKey.key);
    expect(create).toMatchObject({ actor: "operator", action: "tenant.create", target: t });
    expect(Date.parse(create!.at)).toBeGreaterThan(0);
  });
});

describe("OpenAPI document", () => {
  it("covers every admin route", async () => {
    const doc = (await (await call("/admin/v1/openapi.json")).json()) as {
      openapi: string;
      paths: Record<string, Record<string, unknown>>;
      components: { schemas: Record<string, unknown> };
    };
    const ops = Object.entries(doc.paths).flatMap(([p, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${p}`));
    expect(ops.sort()).toEqual(
      [
        "DELETE /tenants/{t}",
        "DELETE /tenants/{t}/keys/{id}",
        "GET /tenants",
        "GET /tenants/{t}",
        "GET /tenants/{t}/alerts",
        "GET /tenants/{t}/audit",
        "GET /tenants/{t}/keys",
        "GET /tenants/{t}/plan",
        "GET /tenants/{t}/reallocations",
        "GET /tenants/{t}/reallocations/{id}",
        "POST /tenants/{t}/reallocations",
        "POST /tenants/{t}/reallocations/{id}/approve",
        "POST /tenants/{t}/reallocations/{id}/reject",
        "GET /tenants/{t}/bursts",
        "GET /tenants/{t}/bursts/{id}",
        "POST /tenants/{t}/bursts",
        "POST /tenants/{t}/bursts/{id}/approve",
        "POST /tenants/{t}/bursts/{id}/close",
        "GET /tenants/{t}/review",
        "GET /tenants/{t}/usage",
        "GET /tenants/{t}/windows",
        "PATCH /tenants/{t}",
        "POST /tenants/{t}/keys",
        "PUT /tenants/{t}",
        "PUT /tenants/{t}/features/{f}",
        "PUT /tenants/{t}/users/{u}",
        "POST /tenants/{t}/unfreeze",
        "GET /global",
        "PUT /global",
      ].sort(),
    );
    // The tenant body is a named component (TenantInput), referenced from the path.
    expect(JSON.stringify(doc.paths["/tenants/{t}"])).toContain("#/components/schemas/TenantInput");
    expect(JSON.stringify(doc.components.schemas.TenantInput)).toContain("softLimitPct");
  });
});
