/**
 * The global budget: many tenants spending at once against a small global
 * limit never commit past it, the GlobalLedger sees far fewer calls than
 * there are requests, a lowered limit stops everyone at once, and a lost
 * lease cannot leak past its expiry.
 */
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import { windowsAt } from "../src/budget/windows";
import { GLOBAL_NAME, type GlobalLedger } from "../src/global/global-ledger";
import type { Ledger } from "../src/ledger/state";
import type { TenantLedger } from "../src/ledger/tenant-ledger";
import { leaseSize } from "../src/global/lease-policy";
import { admin, chat, createKey, createTenant, eventually } from "./helpers/guard";

const hello = { messages: [{ role: "user", content: "Hello" }] };
const global = () => env.GLOBAL_LEDGER.getByName(GLOBAL_NAME);
const today = () => windowsAt(Date.now()).daily.key;

async function setGlobal(body: Record<string, unknown>) {
  const res = await admin("PUT", "/global", body);
  expect(res.status).toBe(200);
  return res.json() as Promise<{ daily: { spentUsd: number; outstandingUsd: number }; calls: { acquire: number } }>;
}

async function tenants(n: number) {
  return Promise.all(
    Array.from({ length: n }, async () => {
      const t = await createTenant({ limits: { daily: 100 } });
      return { t, key: await createKey(t, { name: "k", role: "user", userId: "u" }) };
    }),
  );
}

afterEach(async () => {
  await setGlobal({ limits: {} });
});

describe("lease sizing", () => {
  const base = { want: 100, ratePerSec: 0, headroom: 1_000_000, holders: 0, cap: 10_000_000, ttlSec: 30 };
  it.each([
    ["a starter lease of 1% of the cap for a new tenant", base, 100_000],
    ["at least what is wanted", { ...base, want: 300_000 }, 300_000],
    ["a fair share for a busy tenant", { ...base, ratePerSec: 100_000 }, 500_000],
    ["sized to the rate when budget is plentiful", { ...base, ratePerSec: 10_000, headroom: 1e12 }, 600_000],
    ["never past the cap", { ...base, ratePerSec: 1e9, headroom: 1e12 }, 10_000_000],
    ["small near the limit", { ...base, ratePerSec: 1e6, headroom: 1000, holders: 4 }, 100],
    ["the last of the budget if that is all", { ...base, want: 5000, headroom: 1000 }, 1000],
    ["none past the limit", { ...base, headroom: 0 }, 0],
    ["none when over", { ...base, headroom: -50 }, 0],
  ])("%s", (_n, s, grant) => expect(leaseSize(s)).toBe(grant));
});

describe("global budget across tenants", () => {
  it("never commits past the global limit while 20 tenants spend at once", async () => {
    const all = await tenants(20);
    const limitMicros = 3000;
    await setGlobal({ limits: { daily: limitMicros / 1e6 }, leaseCapUsd: 0.001 });
    const results = await Promise.all(
      all.flatMap(({ key }) => Array.from({ length: 8 }, () => chat(key, { model: "mock-small", ...hello, max_tokens: 50 }))),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.every((s) => s === 200 || s === 402)).toBe(true);
    const blocked = await Promise.all(results.filter((r) => r.status === 402).map((r) => r.json() as Promise<{ error: { code: string } }>));
    expect(blocked.length).toBeGreaterThan(0);
    expect(new Set(blocked.map((b) => b.error.code))).toEqual(new Set(["global_daily_budget_exceeded"]));

    let settled = 0;
    await eventually(async () => {
      settled = 0;
      for (const { t } of all) {
        const c = await env.TENANT_LEDGER.getByName(t).counter("tenant", today());
        expect(c.reserved).toBe(0);
        settled += c.spent;
      }
    });
    // What the tenants actually spent, and what the global object has committed plus leased out, both stay under the limit.
    expect(settled).toBeLessThanOrEqual(limitMicros);
    const s = await global().status();
    expect(s.daily.spentMicros + s.daily.outstandingMicros).toBeLessThanOrEqual(limitMicros);
  });

  it("touches the GlobalLedger far less often than once per request", async () => {
    const all = await tenants(20);
    const before = (await global().status()).calls.acquire;
    await setGlobal({ limits: { daily: 50 } });
    let requests = 0;
    for (let round = 0; round < 3; round++) {
      const rs = await Promise.all(
        all.flatMap(({ key }) => Array.from({ length: 5 }, () => chat(key, { model: "mock-small", ...hello, max_tokens: 20 }))),
      );
      expect(rs.every((r) => r.status === 200)).toBe(true);
      requests += rs.length;
    }
    const calls = (await global().status()).calls.acquire - before;
    expect(requests).toBe(300);
    // One lease per tenant, plus the odd top-up: well under one call per ten requests.
    expect(calls / requests).toBeLessThan(0.1);
  });

  it("stops every tenant at once when the limit is lowered mid-burst", async () => {
    const all = await tenants(5);
    await setGlobal({ limits: { daily: 50 } });
    const warm = await Promise.all(all.map(({ key }) => chat(key, { model: "mock-small", ...hello, max_tokens: 20 })));
    expect(warm.every((r) => r.status === 200)).toBe(true);
    expect((await global().status()).leases.length).toBe(5);

    const lowered = Date.now();
    await setGlobal({ limits: { daily: 0.000001 } });
    const after = await Promise.all(all.map(({ key }) => chat(key, { model: "mock-small", ...hello, max_tokens: 20 })));
    expect(after.map((r) => r.status)).toEqual([402, 402, 402, 402, 402]);
    expect(Date.now() - lowered).toBeLessThan(1000);
    expect((await global().status()).leases).toEqual([]);
  });

  it("blocks all traffic with the operator's stop switch", async () => {
    const [{ key }] = (await tenants(1)) as [{ t: string; key: string }];
    await setGlobal({ limits: { daily: 50 }, blocked: true });
    const res = await chat(key, { model: "mock-small", ...hello, max_tokens: 20 });
    expect(res.status).toBe(429);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("global_blocked");
  });

  it("a tenant restarted while holding a lease does not leak it past expiry", async () => {
    const [{ t, key }] = (await tenants(1)) as [{ t: string; key: string }];
    await setGlobal({ limits: { daily: 50 } });
    expect((await chat(key, { model: "mock-small", ...hello, max_tokens: 20 })).status).toBe(200);
    const held = await global().status();
    expect(held.leases.map((l) => l.tenant)).toEqual([t]);
    expect(held.daily.outstandingMicros).toBeGreaterThan(0);

    // The tenant object is evicted: its lease, held in memory, is gone with it.
    await evictDurableObject(env.TENANT_LEDGER.getByName(t));
    await runInDurableObject(global(), (_i: GlobalLedger, s) => {
      s.storage.sql.exec(`UPDATE leases SET expires_at = ? WHERE state = 'active'`, Date.now() - 60_000);
    });
    await runDurableObjectAlarm(global());
    const after = await global().status();
    expect(after.leases).toEqual([]);
    expect(after.daily.outstandingMicros).toBe(0);
    // Counted as spent (the safe side), and the restarted tenant gets a fresh lease.
    expect(after.daily.spentMicros).toBe(held.daily.outstandingMicros + held.daily.spentMicros);
    expect((await chat(key, { model: "mock-small", ...hello, max_tokens: 20 })).status).toBe(200);
  });

  it("the stop switch reaches tenants that had cached 'no limit' at once", async () => {
    const all = await tenants(3);
    await setGlobal({ limits: {} });
    expect(
      (await Promise.all(all.map(({ key }) => chat(key, { model: "mock-small", ...hello, max_tokens: 5 })))).map((r) => r.status),
    ).toEqual([200, 200, 200]);
    const t0 = Date.now();
    await setGlobal({ limits: {}, blocked: true });
    const after = await Promise.all(all.map(({ key }) => chat(key, { model: "mock-small", ...hello, max_tokens: 5 })));
    expect(after.map((r) => r.status)).toEqual([429, 429, 429]);
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it("a renewal tops the lease up to its target instead of adding a fresh grant", async () => {
    const g = global();
    await setGlobal({ limits: { daily: 1000 } });
    const first = await g.acquire({ tenant: "renew-t", leaseId: null, remaining: null, want: 0, ratePerSec: 0 });
    expect(first.kind).toBe("lease");
    if (first.kind !== "lease") return;
    // The holder still has everything: extending only refreshes the expiry.
    const again = await g.acquire({ tenant: "renew-t", leaseId: first.leaseId, remaining: first.grant, want: 0, ratePerSec: 0 });
    expect(again).toMatchObject({ kind: "lease", leaseId: first.leaseId, grant: 0 });
    // Having spent most of it, it gets topped up again, and the global object learns what was spent.
    const topped = await g.acquire({ tenant: "renew-t", leaseId: first.leaseId, remaining: 1000, want: 0, ratePerSec: 0 });
    expect(topped).toMatchObject({ kind: "lease", grant: first.grant - 1000 });
    const s = await g.status();
    expect(s.daily.inUseMicros).toBe(first.grant - 1000);
    expect(s.leases.find((l) => l.tenant === "renew-t")?.grantedMicros).toBe(2 * first.grant - 1000);
  });

  it("an idle tenant returns its lease before expiry, so only what it spent counts", async () => {
    const [{ t, key }] = (await tenants(1)) as [{ t: string; key: string }];
    await setGlobal({ limits: { daily: 50 } });
    expect((await chat(key, { model: "mock-small", ...hello, max_tokens: 20 })).status).toBe(200);
    await eventually(async () => expect((await env.TENANT_LEDGER.getByName(t).counter("tenant", today())).reserved).toBe(0));
    const spent = (await env.TENANT_LEDGER.getByName(t).counter("tenant", today())).spent;
    const before = await global().status();
    expect(before.leases).toHaveLength(1);
    // Jump to just before the lease's expiry and let the tenant's alarm run.
    await runInDurableObject(env.TENANT_LEDGER.getByName(t), (instance: TenantLedger) => {
      const holder = (instance as unknown as { l: Ledger }).l.state.lease as object;
      const state = Reflect.get(holder, "state") as { expiresAt: number };
      state.expiresAt = Date.now();
    });
    await runDurableObjectAlarm(env.TENANT_LEDGER.getByName(t));
    const after = await global().status();
    expect(after.leases).toEqual([]);
    expect(after.daily.spentMicros - before.daily.spentMicros).toBe(spent);
  });

  it("keeps its call counters across eviction", async () => {
    await setGlobal({ limits: { daily: 50 } });
    await global().acquire({ tenant: "count-t", leaseId: null, remaining: null, want: 0, ratePerSec: 0 });
    const before = (await global().status()).calls;
    await evictDurableObject(global());
    expect((await global().status()).calls).toEqual(before);
  });

  it("reports limits, spend and lease holders to the operator only", async () => {
    const [{ t, key }] = (await tenants(1)) as [{ t: string; key: string }];
    await setGlobal({ limits: { daily: 50, monthly: 1000 } });
    await chat(key, { model: "mock-small", ...hello, max_tokens: 20 });
    const res = await admin("GET", "/global");
    const body = (await res.json()) as { limits: { daily: number }; leases: { tenant: string }[] };
    expect(body.limits).toEqual({ daily: 50, monthly: 1000 });
    expect(body.leases.map((l) => l.tenant)).toContain(t);
    const tenantAdmin = await createKey(t, { name: "a", role: "admin" });
    expect((await admin("GET", "/global", undefined, tenantAdmin)).status).toBe(403);
    expect((await admin("PUT", "/global", { limits: { daily: 1 } }, tenantAdmin)).status).toBe(403);
  });
});
