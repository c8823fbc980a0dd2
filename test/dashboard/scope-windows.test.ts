/**
 * GET /admin/v1/tenants/{t}/windows (the dashboard's gauges): the tenant, its
 * features and its top users by this month's spend, each window with limit,
 * spent, reserved (a call in flight), remaining and reset; a tenant admin of
 * another tenant is refused. And the dashboard's page: served for every view
 * URL with its security headers.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { sha256Hex } from "../../src/auth/keys";
import { windowsAt } from "../../src/budget/windows";
import { admin, call, chat, createKey, createTenant, reserveRequest } from "../helpers/guard";

interface Line {
  scope: string;
  id: string;
  window: string;
  period: string;
  limitUsd: number | null;
  spentUsd: number;
  reservedUsd: number;
  remainingUsd: number | null;
  utilization: number | null;
  resetsAt: string;
}

const hello = { model: "mock-small", max_tokens: 50, messages: [{ role: "user", content: "Hello" }] };

async function windows(t: string, query = "", token?: string): Promise<{ status: number; body: { timezone: string; windows: Line[] } }> {
  const res = await admin("GET", `/tenants/${t}/windows${query}`, undefined, token);
  return { status: res.status, body: (await res.json()) as never };
}

describe("scope windows", () => {
  it("lists the tenant, every feature and the top users with spent, reserved, limit and reset", async () => {
    const t = await createTenant({ limits: { daily: 1, monthly: 10 }, timezone: "America/New_York" });
    expect((await admin("PUT", `/tenants/${t}/features/search`, { limits: { monthly: 2 } })).status).toBe(200);
    expect((await admin("PUT", `/tenants/${t}/features/idle`, { limits: { daily: 0.5 } })).status).toBe(200);
    const service = await createKey(t, { name: "backend", role: "service" });
    for (const [user, n] of [
      ["big", 3],
      ["small", 1],
    ] as const) {
      for (let i = 0; i < n; i++)
        expect((await chat(service, hello, { "x-budget-user": user, "x-budget-feature": "search" })).status).toBe(200);
    }
    // A call in flight: reserved, not yet spent.
    const held = await env.TENANT_LEDGER.getByName(t).reserve(
      reserveRequest(await sha256Hex(service), { userId: "big", feature: "search" }),
    );
    expect(held.status).toBe("allowed");

    const { status, body } = await windows(t);
    expect(status).toBe(200);
    expect(body.timezone).toBe("America/New_York");
    const of = (scope: string, id: string, window: string) =>
      body.windows.find((w) => w.scope === scope && w.id === id && w.window === window);
    const w = windowsAt(Date.now(), "America/New_York");

    const tenantDay = of("tenant", t, "daily")!;
    expect(tenantDay.limitUsd).toBe(1);
    expect(tenantDay.spentUsd).toBeGreaterThan(0);
    expect(tenantDay.reservedUsd).toBeGreaterThan(0);
    expect(tenantDay.remainingUsd).toBeCloseTo(1 - tenantDay.spentUsd - tenantDay.reservedUsd, 6);
    expect(tenantDay.period).toBe(w.daily.key.slice(4));
    expect(Date.parse(tenantDay.resetsAt)).toBe(w.daily.resetAt);
    expect(of("tenant", t, "monthly")!.limitUsd).toBe(10);

    expect(of("feature", "search", "monthly")!.limitUsd).toBe(2);
    expect(of("feature", "search", "monthly")!.spentUsd).toBe(tenantDay.spentUsd);
    // A configured feature with no spend is still listed.
    expect(of("feature", "idle", "daily")).toMatchObject({ limitUsd: 0.5, spentUsd: 0, reservedUsd: 0 });

    const users = [...new Set(body.windows.filter((x) => x.scope === "user").map((x) => x.id))];
    expect(users).toEqual(["big", "small"]);
    expect(of("user", "big", "daily")!.reservedUsd).toBe(tenantDay.reservedUsd);
    expect(of("user", "big", "daily")!.limitUsd).toBeNull();

    const top1 = await windows(t, "?users=1");
    expect([...new Set(top1.body.windows.filter((x) => x.scope === "user").map((x) => x.id))]).toEqual(["big"]);
  });

  it("shows a monthly limit moved by an applied reallocation, as reservations see it", async () => {
    const t = await createTenant({ limits: { monthly: 10 } });
    for (const f of ["donor", "needy"]) expect((await admin("PUT", `/tenants/${t}/features/${f}`, { limits: { monthly: 2 } })).status).toBe(200);
    const asked = await admin("POST", `/tenants/${t}/reallocations`, { from: "feature:donor", to: "feature:needy", amountUsd: 0.5, reason: "launch" });
    expect(asked.status).toBe(201);
    const { id } = (await asked.json()) as { id: string };
    expect((await admin("POST", `/tenants/${t}/reallocations/${id}/approve`, {})).status).toBe(200);
    const { body } = await windows(t);
    const monthly = (f: string) => body.windows.find((w) => w.scope === "feature" && w.id === f && w.window === "monthly")!;
    expect(monthly("donor").limitUsd).toBe(1.5);
    expect(monthly("needy").limitUsd).toBe(2.5);
  });

  it("400 for a bad users count, 404 for an unknown tenant, 403 for another tenant's admin", async () => {
    const t = await createTenant();
    const other = await createTenant();
    const otherAdmin = await createKey(other, { name: "ops", role: "admin" });
    const bad = await windows(t, "?users=1000");
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain("users");
    expect((await windows("no-such-tenant")).status).toBe(404);
    expect((await windows(t, "", otherAdmin)).status).toBe(403);
    expect((await windows(other, "", otherAdmin)).status).toBe(200);
  });
});

describe("dashboard page", () => {
  for (const path of ["/admin/ui", "/admin/ui/", "/admin/ui/tenants/acme/keys"]) {
    it(`${path} is the page with a strict policy`, async () => {
      const res = await call(path);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toContain("text/html");
      expect(res.headers.get("content-security-policy")).toContain("default-src 'self'");
      expect(res.headers.get("content-security-policy")).not.toContain("unsafe-inline");
      expect(res.headers.get("x-frame-options")).toBe("DENY");
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      expect(await res.text()).toContain('<script type="module" src="/admin/ui/assets/app.js"></script>');
    });
  }

  it("an asset that does not exist is a 404, not the page", async () => {
    const res = await call("/admin/ui/assets/nope.js");
    expect(res.status).toBe(404);
  });
});
