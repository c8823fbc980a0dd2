/**
 * The monthly plan through the worker: validation of `plan` on tenants and
 * features, operator-only on the tenant, a planned month overriding the
 * static monthly limit, GET /tenants/{t}/plan and the burn-rate alert against
 * the month's plan.
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import { windowsAt } from "../src/budget/windows";
import { addMonths } from "../src/ledger/plan";
import type { Ledger } from "../src/ledger/state";
import type { TenantLedger } from "../src/ledger/tenant-ledger";
import { admin, chat, createKey, createTenant, mockUpstream } from "./helpers/guard";

const ledger = (t: string) => env.TENANT_LEDGER.getByName(t);
const hello = { messages: [{ role: "user", content: "Hello" }] };
const thisMonth = () => windowsAt(Date.now()).monthly.key.slice(6);

let upstream: ReturnType<typeof mockUpstream> | undefined;
afterEach(() => {
  upstream?.restore();
  upstream = undefined;
});

async function body(res: Response): Promise<{ error: { code: string; message: string; details?: { field: string }[] } }> {
  return (await res.json()) as never;
}

describe("plan validation", () => {
  const bad: [string, unknown, string][] = [
    ["a month key that is not YYYY-MM", { "2026-13": 10 }, "plan"],
    ["a day instead of a month", { "2026-12-01": 10 }, "plan"],
    ["a zero amount", { "2026-12": 0 }, "plan"],
    ["a negative amount", { "2026-12": -5 }, "plan"],
    ["a string amount", { "2026-12": "10" }, "plan"],
  ];
  for (const [name, plan, field] of bad) {
    it(`400 for ${name}, on tenants and features`, async () => {
      const t = await createTenant();
      for (const [method, path] of [
        ["PATCH", `/tenants/${t}`],
        ["PUT", `/tenants/${t}/features/search`],
      ] as const) {
        const res = await admin(method, path, { plan });
        expect(res.status).toBe(400);
        const b = await body(res);
        expect(JSON.stringify(b.error)).toContain(field);
      }
    });
  }

  it("403 for a tenant admin setting plan by PATCH; the operator may", async () => {
    const t = await createTenant();
    const key = await createKey(t, { name: "a", role: "admin" });
    const res = await admin("PATCH", `/tenants/${t}`, { plan: { [thisMonth()]: 10 } }, key);
    expect(res.status).toBe(403);
    expect((await body(res)).error.details).toEqual([{ field: "plan", message: "operator only" }]);
    const ok = await admin("PATCH", `/tenants/${t}`, { plan: { [thisMonth()]: 10 } });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { plan: Record<string, number> }).plan).toEqual({ [thisMonth()]: 10 });
  });
});

describe("a planned month overrides the monthly limit", () => {
  it("a call that fits the plan but not the static limit passes; one over the plan is blocked", async () => {
    const roomy = await createTenant({ limits: { monthly: 0.00001 }, plan: { [thisMonth()]: 10, [addMonths(thisMonth(), 1)]: 0.00001 } });
    const k1 = await createKey(roomy, { name: "k", role: "user", userId: "u" });
    expect((await chat(k1, { model: "mock-small", ...hello, max_tokens: 100 })).status).toBe(200);

    const tight = await createTenant({ limits: { monthly: 10 }, plan: { [thisMonth()]: 0.00001 } });
    const k2 = await createKey(tight, { name: "k", role: "user", userId: "u" });
    const denied = await chat(k2, { model: "mock-small", ...hello, max_tokens: 100 });
    expect(denied.status).toBe(402);
    expect((await body(denied)).error.code).toBe("tenant_monthly_budget_exceeded");
  });

  it("on a feature too", async () => {
    const t = await createTenant();
    const key = await createKey(t, { name: "k", role: "user", userId: "u" });
    await admin("PUT", `/tenants/${t}/features/search`, { limits: { monthly: 10 }, plan: { [thisMonth()]: 0.00001 } });
    await admin("PUT", `/tenants/${t}/features/chat`, { limits: { monthly: 0.00001 }, plan: { [thisMonth()]: 10 } });
    const f = (feature: string) => chat(key, { model: "mock-small", ...hello, max_tokens: 100 }, { "x-budget-feature": feature });
    const search = await f("search");
    expect(search.status).toBe(402);
    expect((await body(search)).error.code).toBe("feature_monthly_budget_exceeded");
    expect((await f("chat")).status).toBe(200);
  });
});

type PlanBody = {
  month: string;
  method: string;
  historyMonths: number;
  rows: {
    month: string;
    plannedUsd: number | null;
    actualUsd: number | null;
    lastYearActualUsd: number | null;
    forecastUsd: number;
    projectedOverUsd: number | null;
  }[];
};

describe("GET /tenants/{t}/plan", () => {
  it("13 rows: plan over the static limit, actuals from the counters, a seasonal forecast from 24 months", async () => {
    const m0 = thisMonth();
    const t = await createTenant({ limits: { monthly: 100 }, plan: { [addMonths(m0, 1)]: 150 } });
    // 24 closed months of $40..$63 and $5 so far this month.
    await runInDurableObject(ledger(t), (_i: TenantLedger, s) => {
      for (let k = 1; k <= 24; k++) {
        s.storage.sql.exec(
          `INSERT INTO counters (scope, win, spent, reserved, requests) VALUES ('tenant', ?, ?, 0, 1)`,
          `month:${addMonths(m0, -k)}`,
          (64 - k) * 1_000_000,
        );
      }
      s.storage.sql.exec(`INSERT INTO counters (scope, win, spent, reserved, requests) VALUES ('tenant', ?, 5000000, 0, 1)`, `month:${m0}`);
    });
    const adminKey = await createKey(t, { name: "a", role: "admin" });
    for (const token of [undefined, adminKey]) {
      const res = await admin("GET", `/tenants/${t}/plan`, undefined, token);
      expect(res.status).toBe(200);
      const p = (await res.json()) as PlanBody;
      expect(p).toMatchObject({ month: m0, method: "seasonal", historyMonths: 24 });
      expect(p.rows.map((r) => r.month)).toEqual(Array.from({ length: 13 }, (_, h) => addMonths(m0, h)));
      expect(p.rows[0]).toMatchObject({ plannedUsd: 100, actualUsd: 5, lastYearActualUsd: 52 });
      expect(p.rows[1]).toMatchObject({ plannedUsd: 150, actualUsd: null, lastYearActualUsd: 53 });
      // A straight line $1/month: the seasonal forecast continues it ($64 this month, $65 next).
      expect(p.rows[0]!.forecastUsd).toBeCloseTo(64, 6);
      expect(p.rows[1]!.forecastUsd).toBeCloseTo(65, 6);
      expect(p.rows[1]!.projectedOverUsd).toBeCloseTo(65 - 150, 6);
      // A year ahead, last year is this month so far.
      expect(p.rows[12]!.lastYearActualUsd).toBe(5);
    }
  });

  it("without a plan or limit projectedOverUsd is null; a trend with little history; 404 and 403", async () => {
    const t = await createTenant();
    const p = (await (await admin("GET", `/tenants/${t}/plan`)).json()) as PlanBody;
    expect(p.method).toBe("flat");
    expect(p.rows).toHaveLength(13);
    for (const r of p.rows) expect(r).toMatchObject({ plannedUsd: null, projectedOverUsd: null });
    expect((await admin("GET", `/tenants/no-such-tenant-plan/plan`)).status).toBe(404);
    const other = await createTenant();
    const otherAdmin = await createKey(other, { name: "a", role: "admin" });
    expect((await admin("GET", `/tenants/${t}/plan`, undefined, otherAdmin)).status).toBe(403);
  });

  it("is in the OpenAPI document", async () => {
    const doc = (await (await admin("GET", "/openapi.json")).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toContain("/tenants/{t}/plan");
  });
});

describe("burn-rate alert against the month's plan", () => {
  it("a tenant with no static monthly limit is forecast against its plan", async () => {
    const now = Date.now();
    const month = windowsAt(now).monthly;
    const elapsed = now - month.startsAt;
    if (elapsed < 6 * 3_600_000) return; // the first hours of a month are too early to forecast
    const t = await createTenant({ plan: { [month.key.slice(6)]: 10 } });
    const key = await createKey(t, { name: "k", role: "user", userId: "u" });
    expect((await chat(key, { model: "mock-small", ...hello, max_tokens: 10 })).status).toBe(200);
    const untilOut = (month.resetAt - now) / 2;
    const spent = Math.floor((10_000_000 * elapsed) / (elapsed + untilOut));
    await runInDurableObject(ledger(t), (instance: TenantLedger, s) => {
      s.storage.sql.exec(`UPDATE counters SET spent = ? WHERE scope = 'tenant' AND win = ?`, spent, month.key);
      (instance as unknown as { l: Ledger }).l.state.anomalyDueAt = 0;
    });
    await runDurableObjectAlarm(ledger(t));
    const rows = await runInDurableObject(ledger(t), (_i: TenantLedger, s) =>
      s.storage.sql.exec(`SELECT payload FROM alerts WHERE kind = 'burn_forecast'`).toArray(),
    );
    expect(rows).toHaveLength(1);
    expect(JSON.parse(rows[0]!.payload as string)).toMatchObject({ kind: "burn_forecast", window: "monthly", limitUsd: 10 });
  });
});
