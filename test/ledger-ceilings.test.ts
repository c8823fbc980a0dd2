/**
 * Cost ceilings at the ledger (DESIGN "Cost ceilings"), through the TenantLedger's
 * RPC: output caps forwarded = reserved (× n), the learned estimate's floor,
 * maxRequestUsd, unboundable input reserved in full, unpriced units, settlement at
 * the ceiling, declared features, forwardHeaders and Idempotency-Key scoping.
 *
 * Prices: mock-small is $0.15 / $0.60 per 1M, so 100 input tokens cost 15 micro-USD
 * and N output tokens ceil(0.6 N).
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { sha256Hex } from "../src/auth/keys";
import type { Ledger } from "../src/ledger/state";
import type { TenantLedger } from "../src/ledger/tenant-ledger";
import type { ReserveRequest, ReserveResult } from "../src/ledger/types";
import { admin, createKey, createTenant, reserveRequest } from "./helpers/guard";

const ledger = (t: string) => env.TENANT_LEDGER.getByName(t);
const out = (n: number) => Math.ceil(n * 0.6);
const USAGE0 = { inputTokens: 0, cachedInputTokens: 0, cacheWriteTokens: 0, outputTokens: 0 };

/** A tenant with a service key; `reserve` calls the ledger for user "u". */
async function setup(config: Record<string, unknown> = {}) {
  const t = await createTenant(config);
  const hash = await sha256Hex(await createKey(t, { name: "svc", role: "service" }));
  const reserve = (over: Partial<ReserveRequest> = {}) => ledger(t).reserve(reserveRequest(hash, { userId: "u", ...over }));
  return { t, hash, reserve };
}

function allowed(r: ReserveResult): Extract<ReserveResult, { status: "allowed" }> {
  if (r.status !== "allowed") throw new Error(`expected allowed, got ${JSON.stringify(r)}`);
  return r;
}

describe("output ceilings", () => {
  it("forwards an uncapped call with exactly the cap it was reserved at, times n", async () => {
    const { reserve } = await setup();
    const one = allowed(await reserve({ requestedMaxTokens: null }));
    expect(one).toMatchObject({ forwardMaxTokens: 1024, amount: 15 + out(1024), clamped: false });
    const four = allowed(await reserve({ requestedMaxTokens: null, choices: 4 }));
    expect(four).toMatchObject({ forwardMaxTokens: 4096, amount: 15 + out(4096) });
    // A client cap (the worker sends it × n) is reserved as sent and kept.
    const capped = allowed(await reserve({ requestedMaxTokens: 400, choices: 4 }));
    expect(capped).toMatchObject({ amount: 15 + out(400), clamped: false });
    expect(capped.forwardMaxTokens).toBeUndefined();
  });

  it("under a tight budget forwards the lower cap it reserved, never the whole remaining budget", async () => {
    const { reserve } = await setup({ limits: { daily: 0.0004 } });
    const r = allowed(await reserve({ requestedMaxTokens: null }));
    expect(r.forwardMaxTokens).toBe(Math.floor(((400 - 15) * 1e6) / 600_000));
    expect(r.amount).toBeLessThanOrEqual(400);
    // The next one finds the budget held: nothing is left to forward.
    expect((await reserve({ requestedMaxTokens: null })).status).toBe("blocked");
  });

  it("ten concurrent uncapped calls together never hold more than the limit", async () => {
    const { reserve } = await setup({ limits: { daily: 0.01 }, minOutputTokens: 1 });
    const results = await Promise.all(Array.from({ length: 10 }, () => reserve({ requestedMaxTokens: null })));
    const ok = results.filter((r) => r.status === "allowed") as Extract<ReserveResult, { status: "allowed" }>[];
    const worstCase = ok.reduce((sum, r) => sum + 15 + out(r.forwardMaxTokens ?? Infinity), 0);
    expect(worstCase).toBeLessThanOrEqual(10_000);
  });

  it("25 max_tokens:1 calls do not lower the estimate; tiny uncapped completions stop at the floor", async () => {
    const { reserve, t } = await setup();
    for (let i = 0; i < 25; i++) {
      const r = allowed(await reserve({ requestedMaxTokens: 1 }));
      await ledger(t).settle({ reservationId: r.reservationId, usage: { ...USAGE0, inputTokens: 100, outputTokens: 1 }, outcome: "ok" });
    }
    expect(allowed(await reserve({ requestedMaxTokens: null })).forwardMaxTokens).toBe(1024);

    for (let i = 0; i < 25; i++) {
      const r = allowed(await reserve({ requestedMaxTokens: null }));
      await ledger(t).settle({ reservationId: r.reservationId, usage: { ...USAGE0, inputTokens: 100, outputTokens: 1 }, outcome: "ok" });
    }
    const next = allowed(await reserve({ requestedMaxTokens: null }));
    expect(next.forwardMaxTokens).toBe(256);
    expect(next.amount).toBe(15 + out(256));
  });

  it("the floor is the tenant's minOutputTokens when higher, and survives a restart of the object", async () => {
    const { reserve, t } = await setup({ minOutputTokens: 600 });
    for (let i = 0; i < 25; i++) {
      const r = allowed(await reserve({ requestedMaxTokens: null }));
      await ledger(t).settle({ reservationId: r.reservationId, usage: { ...USAGE0, outputTokens: 3 }, outcome: "ok" });
    }
    expect(allowed(await reserve({ requestedMaxTokens: null })).forwardMaxTokens).toBe(600);
    // Samples reload from storage: only the guard-capped ones count.
    await runInDurableObject(ledger(t), (instance: TenantLedger) => {
      (instance as unknown as { l: Ledger }).l.state.outputSamples.clear();
    });
    expect(allowed(await reserve({ requestedMaxTokens: null })).forwardMaxTokens).toBe(600);
  });

  it("calls that stop at the guard's cap raise the estimate", async () => {
    const { reserve, t } = await setup();
    for (let i = 0; i < 25; i++) {
      const r = allowed(await reserve({ requestedMaxTokens: null, choices: 2 }));
      const cap = r.forwardMaxTokens ?? 0;
      await ledger(t).settle({ reservationId: r.reservationId, usage: { ...USAGE0, outputTokens: cap }, outcome: "ok" });
    }
    expect(allowed(await reserve({ requestedMaxTokens: null })).forwardMaxTokens).toBeGreaterThan(1024);
  });
});

describe("maxRequestUsd", () => {
  it("clamps a call's output to fit; the smallest of tenant, user and feature applies", async () => {
    const { reserve, t } = await setup({ maxRequestUsd: 0.0004 });
    const r = allowed(await reserve({ requestedMaxTokens: 1000 }));
    expect(r).toMatchObject({ clamped: true, forwardMaxTokens: Math.floor(((400 - 15) * 1e6) / 600_000) });
    expect(r.amount).toBeLessThanOrEqual(400);

    expect((await admin("PUT", `/tenants/${t}/users/u`, { maxRequestUsd: 0.0003 })).status).toBe(200);
    expect(allowed(await reserve({ requestedMaxTokens: 1000 })).amount).toBeLessThanOrEqual(300);
    expect((await admin("PUT", `/tenants/${t}/features/cheap`, { maxRequestUsd: 0.0002 })).status).toBe(200);
    expect(allowed(await reserve({ requestedMaxTokens: 1000, feature: "cheap" })).amount).toBeLessThanOrEqual(200);
  });

  it("refuses with 400 request_cost_limit_exceeded and the figures when even the floor does not fit", async () => {
    const { reserve, t } = await setup({ maxRequestUsd: 0.00002 });
    const r = await reserve({ requestedMaxTokens: 1000 });
    expect(r).toMatchObject({ status: "denied", httpStatus: 400, code: "request_cost_limit_exceeded" });
    expect(r.status === "denied" && r.message).toContain(`$${(15 + out(256)) / 1e6}`);
    expect(r.status === "denied" && r.message).toContain("$0.00002");
    // Not a budget block: nothing held, no alert.
    expect(await ledger(t).counter("tenant", new Date().toISOString().slice(0, 10))).toMatchObject({ reserved: 0 });
  });
});

describe("input the guard cannot bound", () => {
  const part = "messages[0].content[1]: input_file by file_id (the guard cannot see its size)";

  it("is refused without maxRequestUsd, naming the part and the setting", async () => {
    const { reserve } = await setup();
    const r = await reserve({ unbounded: [part] });
    expect(r).toMatchObject({ status: "denied", httpStatus: 400, code: "unbounded_input" });
    const msg = r.status === "denied" ? r.message : "";
    expect(msg).toContain(part);
    expect(msg).toContain(
      "set maxRequestUsd on the tenant, user or feature to allow such calls; they are then reserved at that amount in full",
    );
  });

  it("with maxRequestUsd is reserved at exactly that amount, with an output cap that fits in it", async () => {
    const { reserve } = await setup({ maxRequestUsd: 0.01 });
    const r = allowed(await reserve({ unbounded: [part], requestedMaxTokens: null }));
    expect(r.amount).toBe(10_000);
    expect(r.forwardMaxTokens).toBe(1024);
    const big = allowed(await reserve({ unbounded: [part], requestedMaxTokens: 100_000 }));
    expect(big).toMatchObject({ amount: 10_000, clamped: true, forwardMaxTokens: Math.floor(((10_000 - 15) * 1e6) / 600_000) });
  });

  it("must still fit every window at that amount", async () => {
    const { reserve } = await setup({ maxRequestUsd: 0.01, limits: { daily: 0.005 } });
    expect(await reserve({ unbounded: [part] })).toMatchObject({ status: "blocked", code: "tenant_daily_budget_exceeded" });
  });

  it("an unknown stored context is refused the same way, and reserved in full under maxRequestUsd", async () => {
    const { reserve, t } = await setup();
    const context = [{ kind: "previous_response" as const, id: "resp_never_seen" }];
    expect(await reserve({ context })).toMatchObject({ status: "denied", httpStatus: 400, code: "unknown_context" });
    await admin("PATCH", `/tenants/${t}`, { maxRequestUsd: 0.002 });
    expect(allowed(await reserve({ context })).amount).toBe(2000);
  });
});

describe("unpriced units", () => {
  it.each<[string, Partial<ReserveRequest>]>([
    ["audio on a model without an audio price", { audioInputTokens: 100 }],
    ["a service tier without a multiplier", { serviceTier: "priority" }],
    ["a built-in tool without a fee", { toolCalls: { no_such_tool: 1 } }],
  ])("%s is a 400 unpriced_unit, never priced at zero", async (_name, over) => {
    const { reserve } = await setup();
    expect(await reserve(over)).toMatchObject({ status: "denied", httpStatus: 400, code: "unpriced_unit" });
  });

  it("a standard tier prices as usual", async () => {
    const { reserve } = await setup();
    expect(allowed(await reserve({ serviceTier: "default" })).amount).toBe(15 + out(100));
  });
});

describe("settlement at the ceiling", () => {
  it("charges the whole reservation, or the reported usage when higher", async () => {
    const { reserve, t } = await setup();
    const a = allowed(await reserve());
    expect(await ledger(t).settle({ reservationId: a.reservationId, usage: USAGE0, outcome: "ceiling" })).toMatchObject({ cost: a.amount });
    const b = allowed(await reserve());
    const usage = { ...USAGE0, inputTokens: 100, outputTokens: 5000 };
    expect(await ledger(t).settle({ reservationId: b.reservationId, usage, outcome: "ceiling" })).toMatchObject({ cost: 15 + out(5000) });
  });

  it("works for an expired reservation, once", async () => {
    const { reserve, t } = await setup();
    const r = allowed(await reserve({ requestId: "late-ceiling" }));
    await runInDurableObject(ledger(t), (_i: TenantLedger, state) => {
      state.storage.sql.exec(`UPDATE reservations SET expires_at = ? WHERE id = ?`, Date.now() - 1, "late-ceiling");
    });
    await runDurableObjectAlarm(ledger(t));
    const first = await ledger(t).settle({ reservationId: r.reservationId, usage: USAGE0, outcome: "ceiling" });
    expect(first).toMatchObject({ applied: true, cost: r.amount });
    expect(await ledger(t).settle({ reservationId: r.reservationId, usage: USAGE0, outcome: "ceiling" })).toMatchObject({ applied: false });
  });
});

describe("identity the caller cannot choose", () => {
  it("requireDeclaredFeatures: an undeclared feature is a 403; declared, bound and default pass", async () => {
    const { reserve, t } = await setup({ requireDeclaredFeatures: true });
    expect(await reserve({ feature: "made-up" })).toMatchObject({ status: "denied", httpStatus: 403, code: "undeclared_feature" });
    expect((await reserve({ feature: null })).status).toBe("allowed");
    await admin("PUT", `/tenants/${t}/features/search`, {});
    expect((await reserve({ feature: "search" })).status).toBe("allowed");
    const bound = await sha256Hex(await createKey(t, { name: "b", role: "user", userId: "v", feature: "bound-only" }));
    expect((await ledger(t).reserve(reserveRequest(bound, { feature: "bound-only" }))).status).toBe("allowed");
  });

  it("forwardHeaders: the tenant's allow-list comes back with the reservation; none by default", async () => {
    const plain = await setup();
    expect(allowed(await plain.reserve()).forwardHeaders).toEqual([]);
    const listed = await setup({ forwardHeaders: ["anthropic-beta"] });
    expect(allowed(await listed.reserve()).forwardHeaders).toEqual(["anthropic-beta"]);
    expect((await admin("PATCH", `/tenants/${listed.t}`, { forwardHeaders: ["x-anything"] })).status).toBe(400);
  });

  it("Idempotency-Key: the same key with another fingerprint is a 422, the same one a duplicate", async () => {
    const { reserve } = await setup();
    const requestId = `idem_${crypto.randomUUID()}`;
    expect((await reserve({ requestId, idempotent: true, fingerprint: "aaa" })).status).toBe("allowed");
    expect(await reserve({ requestId, idempotent: true, fingerprint: "bbb" })).toMatchObject({
      status: "denied",
      httpStatus: 422,
      code: "idempotency_key_reused",
      message: "This Idempotency-Key was used for a different request (another user, route or body); use a new key.",
    });
    expect((await reserve({ requestId, idempotent: true, fingerprint: "aaa" })).status).toBe("duplicate");
  });
});

describe("admin surface", () => {
  it("a tenant admin may not set maxRequestUsd, forwardHeaders or requireDeclaredFeatures", async () => {
    const t = await createTenant({});
    const adminKey = await createKey(t, { name: "adm", role: "admin" });
    for (const body of [{ maxRequestUsd: 5 }, { forwardHeaders: ["openai-project"] }, { requireDeclaredFeatures: false }]) {
      expect((await admin("PATCH", `/tenants/${t}`, body, adminKey)).status).toBe(403);
    }
    const got = (await (await admin("GET", `/tenants/${t}`)).json()) as Record<string, unknown>;
    expect(got).toMatchObject({ maxRequestUsd: null, requireDeclaredFeatures: false, forwardHeaders: [] });
  });

  it("the OpenAPI document shows the new fields", async () => {
    const doc = JSON.stringify(await (await admin("GET", "/openapi.json")).json());
    for (const f of ["maxRequestUsd", "requireDeclaredFeatures", "forwardHeaders", "anthropic-beta"]) expect(doc).toContain(f);
  });
});
