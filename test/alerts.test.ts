/**
 * Cron-driven window close and alert delivery: the scheduled handler through
 * createScheduledController, alarms through runDurableObjectAlarm, and a
 * webhook receiver behind the outbound mock.
 */
import {
  createExecutionContext,
  createScheduledController,
  runDurableObjectAlarm,
  runInDurableObject,
  waitOnExecutionContext,
} from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import { signBody } from "../src/alerts/payload";
import { sha256Hex } from "../src/auth/keys";
import { windowsAt } from "../src/budget/windows";
import { DIRECTORY_NAME } from "../src/directory/tenant-directory";
import type { Ledger } from "../src/ledger/state";
import type { TenantLedger } from "../src/ledger/tenant-ledger";
import worker from "../src/index";
import { admin, chat, createKey, eventually, mockUpstream, uniqueTenant, reserveRequest } from "./helpers/guard";

const hello = { messages: [{ role: "user", content: "Hello" }] };
const ledger = (t: string) => env.TENANT_LEDGER.getByName(t);
const directory = () => env.TENANT_DIRECTORY.getByName(DIRECTORY_NAME);

let upstream: ReturnType<typeof mockUpstream> | undefined;
afterEach(() => {
  upstream?.restore();
  upstream = undefined;
});

async function createTenant(config: Record<string, unknown>) {
  const t = uniqueTenant();
  const res = await admin("PUT", `/tenants/${t}`, config);
  expect(res.status).toBe(201);
  const body = (await res.json()) as { webhookSecret: string };
  return { t, secret: body.webhookSecret };
}

async function runCron(cron: string, at = Date.now()) {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ cron, scheduledTime: at }), env, ctx);
  await waitOnExecutionContext(ctx);
  // The directory's alarm does the fan-out, one bounded batch per run.
  while ((await directory().sweeps()).length > 0) await runDurableObjectAlarm(directory());
}

function sql<T>(t: string, query: string, ...b: (string | number)[]) {
  return runInDurableObject(ledger(t), (_i: TenantLedger, s) => s.storage.sql.exec(query, ...b).toArray() as T[]);
}

describe("alert delivery", () => {
  it("delivers a soft-limit alert once, signed, after the receiver fails twice", async () => {
    const received: { body: string; signature: string | null; id: string | null; status: number }[] = [];
    upstream = mockUpstream((req) => {
      const status = received.length < 2 ? 500 : 200;
      received.push({ body: req.body, signature: req.headers.get("x-budget-signature"), id: req.headers.get("x-budget-alert-id"), status });
      return new Response(null, { status });
    });
    const { t, secret } = await createTenant({
      limits: { daily: 0.0001 },
      softLimitPct: 0.5,
      alertWebhook: "https://hooks.example.com/budget",
    });
    expect(secret).toMatch(/^whsec_/);
    const key = await createKey(t, { name: "k", role: "user", userId: "u" });
    expect((await chat(key, { model: "mock-small", ...hello, max_tokens: 100 })).status).toBe(200);

    for (let attempt = 0; attempt < 3; attempt++) {
      await eventually(async () => {
        // Retries wait for their backoff; bring the next attempt forward instead of sleeping.
        await sql(t, `UPDATE deliveries SET next_attempt_at = 0 WHERE state = 'pending'`);
        await runDurableObjectAlarm(ledger(t));
        expect(received.length).toBeGreaterThan(attempt);
      });
    }
    await runDurableObjectAlarm(ledger(t));
    expect(received.map((r) => r.status)).toEqual([500, 500, 200]);
    const ok = received[2]!;
    expect(ok.signature).toBe(await signBody(ok.body, secret));
    const payload = JSON.parse(ok.body) as { text: string; alert: Record<string, unknown> };
    expect(payload.text).toMatch(/passed 50%/);
    expect(payload.alert).toMatchObject({
      tenant: t,
      kind: "soft_limit",
      scope: "tenant",
      window: "daily",
      threshold: 0.5,
      limitUsd: 0.0001,
    });
    expect(new Set(received.map((r) => r.id)).size).toBe(1);

    const alerts = (await (await admin("GET", `/tenants/${t}/alerts`)).json()) as {
      alerts: { kind: string; state: string; deliveries: { dest: string; state: string; attempts: number }[] }[];
    };
    const soft = alerts.alerts.find((a) => a.kind === "soft_limit")!;
    expect(soft.state).toBe("delivered");
    expect(soft.deliveries).toEqual([expect.objectContaining({ dest: "tenant", state: "delivered", attempts: 3 })]);
  });

  it("queues each threshold once per scope and window, tenant-90 and hard limit included", async () => {
    upstream = mockUpstream(() => new Response(null, { status: 204 }));
    const { t } = await createTenant({
      limits: { daily: 0.00005 },
      alertThresholds: [0.25, 0.5],
      alertWebhook: "https://hooks.example.com/b",
    });
    const key = await createKey(t, { name: "k", role: "user", userId: "u" });
    for (let i = 0; i < 6; i++) await chat(key, { model: "mock-small", ...hello, max_tokens: 20 });
    const rows = await sql<{ kind: string; threshold: number; scope: string }>(
      t,
      `SELECT kind, threshold, scope FROM alerts WHERE scope = 'tenant' ORDER BY kind, threshold`,
    );
    expect(rows.map((r) => `${r.kind}@${r.threshold}`)).toEqual(["hard_limit@1", "soft_limit@0.25", "soft_limit@0.5"]);
  });

  it("alerts the account owner when the tenant reaches 90%", async () => {
    const { t } = await createTenant({ limits: { daily: 0.0001 } });
    const keyHash = await sha256Hex(await createKey(t, { name: "k", role: "user", userId: "u" }));
    // mock-small: 600 input tokens at $0.15/M = 90 micro-USD, 1 output token = 1: 91% of $0.0001.
    const res = await ledger(t).reserve(reserveRequest(keyHash, { requestId: "r-90", inputTokens: 600, requestedMaxTokens: 1 }));
    expect(res).toMatchObject({ status: "allowed", amount: 91 });
    const rows = await sql<{ kind: string }>(t, `SELECT kind FROM alerts WHERE scope = 'tenant' ORDER BY kind`);
    expect(rows.map((r) => r.kind)).toEqual(["soft_limit", "tenant_90"]);
  });

  it("refuses webhook URLs into private networks", async () => {
    const t = uniqueTenant();
    for (const url of ["https://10.0.0.1/hook", "https://169.254.169.254/", "ftp://example.com/x"]) {
      const res = await admin("PUT", `/tenants/${t}`, { alertWebhook: url });
      expect(res.status).toBe(400);
    }
    // In local development (and tests) a loopback receiver is fine, so a user can watch alerts arrive.
    expect((await admin("PUT", `/tenants/${t}`, { alertWebhook: "http://127.0.0.1:9999/alerts" })).status).toBe(201);
  });
});

describe("spend spike and burn rate", () => {
  async function triggerAnomalyCheck(t: string) {
    await runInDurableObject(ledger(t), (instance: TenantLedger) => {
      (instance as unknown as { l: Ledger }).l.state.anomalyDueAt = 0;
    });
    await runDurableObjectAlarm(ledger(t));
  }

  it("freezes a tenant on a spike when onSpike is freeze, until an admin unfreezes it", async () => {
    const { t } = await createTenant({ limits: { daily: 100 }, onSpike: "freeze", spikeFloorUsd: 0.5 });
    const key = await createKey(t, { name: "k", role: "user", userId: "u" });
    expect((await chat(key, { model: "mock-small", ...hello, max_tokens: 10 })).status).toBe(200);
    // A quiet week of 1 cent an hour, then $2 in the current hour: 200×.
    const hour = Math.floor(Date.now() / 3_600_000) * 3_600_000;
    await runInDurableObject(ledger(t), (_i: TenantLedger, s) => {
      for (let h = 1; h <= 168; h++)
        s.storage.sql.exec(`INSERT OR REPLACE INTO hourly (hour, spent) VALUES (?, 10000)`, hour - h * 3_600_000);
      s.storage.sql.exec(`INSERT OR REPLACE INTO hourly (hour, spent) VALUES (?, 2000000)`, hour);
    });
    await triggerAnomalyCheck(t);
    const blocked = await chat(key, { model: "mock-small", ...hello, max_tokens: 10 });
    expect(blocked.status).toBe(429);
    expect(blocked.headers.get("x-should-retry")).toBe("false");
    expect(((await blocked.json()) as { error: { code: string; message: string } }).error).toMatchObject({
      code: "tenant_frozen",
      message: expect.stringMatching(/spend spike/),
    });
    const spike = await sql<{ kind: string }>(t, `SELECT kind FROM alerts WHERE kind = 'spend_spike'`);
    expect(spike).toHaveLength(1);

    const unfreeze = await admin("POST", `/tenants/${t}/unfreeze`);
    expect(await unfreeze.json()).toEqual({ id: t, unfrozen: true });
    expect((await chat(key, { model: "mock-small", ...hello, max_tokens: 10 })).status).toBe(200);
  });

  it("forecasts the monthly limit running out, once a month", async () => {
    const { t } = await createTenant({ limits: { monthly: 10 } });
    const key = await createKey(t, { name: "k", role: "user", userId: "u" });
    expect((await chat(key, { model: "mock-small", ...hello, max_tokens: 10 })).status).toBe(200);
    const now = Date.now();
    const month = windowsAt(now).monthly;
    const elapsed = now - month.startsAt;
    if (elapsed < 6 * 3_600_000) return; // the first hours of a month are too early to forecast
    // Spend so far such that, at this pace, the $10 runs out halfway between now and the month's end.
    const untilOut = (month.resetAt - now) / 2;
    const spent = Math.floor((10_000_000 * elapsed) / (elapsed + untilOut));
    await sql(t, `UPDATE counters SET spent = ? WHERE scope = 'tenant' AND win = ?`, spent, month.key);
    await triggerAnomalyCheck(t);
    await triggerAnomalyCheck(t);
    const rows = await sql<{ kind: string; payload: string }>(t, `SELECT kind, payload FROM alerts WHERE kind = 'burn_forecast'`);
    expect(rows).toHaveLength(1);
    expect(JSON.parse(rows[0]!.payload)).toMatchObject({
      kind: "burn_forecast",
      window: "monthly",
      detail: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
    });
  });
});

describe("window close", () => {
  it("rolls ended windows into history, is idempotent, catches up after a gap, and never touches today", async () => {
    const { t } = await createTenant({ limits: { daily: 10 } });
    const key = await createKey(t, { name: "k", role: "user", userId: "u" });
    expect((await chat(key, { model: "mock-small", ...hello, max_tokens: 10 })).status).toBe(200);
    const today = windowsAt(Date.now()).daily.key;
    await eventually(async () => expect((await ledger(t).counter("tenant", today)).reserved).toBe(0));
    const live = await ledger(t).counter("tenant", today);

    // Three days the close did not run for.
    const days = [1, 2, 3].map((d) => windowsAt(Date.now() - d * 86_400_000).daily.key);
    for (const [i, d] of days.entries()) {
      await sql(
        t,
        `INSERT INTO counters (scope, win, spent, reserved, requests) VALUES ('tenant', ?, ?, 0, 1), ('user:u', ?, ?, 0, 1)`,
        d,
        (i + 1) * 1000,
        d,
        (i + 1) * 1000,
      );
    }
    await runCron("0 0 * * *");
    const history = await sql<{ scope: string; win: string; spent: number }>(
      t,
      `SELECT scope, win, spent FROM history WHERE win LIKE 'day:%' ORDER BY win, scope`,
    );
    expect(history.filter((h) => h.scope === "tenant").map((h) => [h.win, h.spent])).toEqual([
      [days[2], 3000],
      [days[1], 2000],
      [days[0], 1000],
    ]);
    expect(await sql(t, `SELECT * FROM counters WHERE win IN (?, ?, ?)`, ...days)).toEqual([]);
    expect(await ledger(t).counter("tenant", today)).toEqual(live);

    // Running it again changes nothing.
    await runCron("0 0 * * *");
    expect(await sql(t, `SELECT scope, win, spent FROM history WHERE win LIKE 'day:%' ORDER BY win, scope`)).toEqual(history);

    // Reports read closed windows from history.
    const report = (await (await admin("GET", `/tenants/${t}/usage?period=day&at=${days[0]!.slice(4)}&groupBy=user`)).json()) as {
      total: { spendUsd: number };
      groups: { group: string; spendUsd: number }[];
    };
    expect(report.total.spendUsd).toBe(0.001);
    expect(report.groups).toEqual([expect.objectContaining({ group: "u", spendUsd: 0.001 })]);
  });

  it("adds a late settlement to a window that was already closed", async () => {
    const { t } = await createTenant({});
    const yesterday = windowsAt(Date.now() - 86_400_000).daily.key;
    await sql(t, `INSERT INTO counters (scope, win, spent, reserved, requests) VALUES ('tenant', ?, 500, 0, 1)`, yesterday);
    await runCron("0 0 1 * *");
    await sql(t, `INSERT INTO counters (scope, win, spent, reserved, requests) VALUES ('tenant', ?, 70, 0, 1)`, yesterday);
    await runCron("0 0 * * *");
    expect(await sql(t, `SELECT spent, requests FROM history WHERE scope = 'tenant' AND win = ?`, yesterday)).toEqual([
      { spent: 570, requests: 2 },
    ]);
  });

  it("prunes detail older than the retention", async () => {
    const { t } = await createTenant({});
    const old = Date.now() - 91 * 86_400_000;
    await sql(
      t,
      `INSERT INTO rollups (hour, day, month, user_id, feature, model, requests, input_tokens, cached_tokens, cache_write_tokens, output_tokens, cost)
       VALUES (?, 'day:x', 'month:x', 'old', 'f', 'm', 1, 1, 0, 0, 1, 1), (?, 'day:x', 'month:x', 'recent', 'f', 'm', 1, 1, 0, 0, 1, 1)`,
      old - (old % 3_600_000),
      Date.now() - 89 * 86_400_000,
    );
    await sql(
      t,
      `INSERT INTO history (scope, win, spent, requests, closed_at) VALUES ('tenant', 'month:2020-01', 1, 1, 0), ('tenant', ?, 1, 1, 0)`,
      windowsAt(Date.now() - 40 * 86_400_000).monthly.key,
    );
    await runCron("0 0 * * *");
    expect(await sql(t, `SELECT user_id FROM rollups`)).toEqual([{ user_id: "recent" }]);
    expect((await sql<{ win: string }>(t, `SELECT win FROM history WHERE scope = 'tenant'`)).map((r) => r.win)).toEqual([
      windowsAt(Date.now() - 40 * 86_400_000).monthly.key,
    ]);
  });

  it("maps every declared cron to a job", async () => {
    const toml = ["0 0 * * *", "0 0 1 * *", "*/5 * * * *"];
    const { CRON_JOBS } = await import("../src/cron");
    expect(Object.keys(CRON_JOBS).sort()).toEqual([...toml].sort());
    expect(
      Object.values(CRON_JOBS)
        .map((j) => j.name)
        .sort(),
    ).toEqual(["alert-sweep", "daily-close", "monthly-close"]);
  });

  it("the alert sweep visits tenants with undelivered alerts", async () => {
    let fail = true;
    upstream = mockUpstream(() => new Response(null, { status: fail ? 503 : 200 }));
    const { t } = await createTenant({ limits: { daily: 0.00001 }, alertWebhook: "https://hooks.example.com/c" });
    const key = await createKey(t, { name: "k", role: "user", userId: "u" });
    await chat(key, { model: "mock-small", ...hello, max_tokens: 10 });
    await eventually(async () => {
      await runDurableObjectAlarm(ledger(t));
      expect(upstream!.calls.length).toBeGreaterThan(0);
    });
    fail = false;
    await sql(t, `UPDATE deliveries SET next_attempt_at = 0 WHERE state = 'pending'`);
    await runCron("*/5 * * * *");
    const states = await sql<{ state: string }>(t, `SELECT state FROM deliveries`);
    expect(states.every((s) => s.state === "delivered")).toBe(true);
  });
});
