/**
 * Burst pools beside edge allowances (DESIGN "Edge allowances"): a local
 * decision only ever allows what fits, so every draw happens in the object.
 * With ALLOWANCES=on (a subject acquires on its first request and returns
 * its hold when nothing is in flight) a subject at its limit still draws,
 * exactly the excess; another subject's hold that comes back unspent before
 * the drawing call settles costs the pool nothing.
 */
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { sha256Hex } from "../../src/auth/keys";
import { admin, createKey } from "../helpers/guard";
import { post, today, withEnv } from "../helpers/traffic";
import { activePool, ledger, poolTotal, pricedTenant, reserve, settle } from "../helpers/bursts";

const ON = { ALLOWANCES: "on" };

async function call(key: string, maxTokens: number) {
  const { path, ...init } = post(
    key,
    { model: "mock-small", messages: [{ role: "user", content: "Hello" }], max_tokens: maxTokens },
    { "x-mock-output-tokens": String(maxTokens) },
  );
  return withEnv(ON, path, init);
}

describe("with edge allowances on", () => {
  it("a subject deciding at the edge, then at its limit, draws exactly the excess in the object", async () => {
    const { t } = await pricedTenant();
    expect((await admin("PUT", `/tenants/${t}/users/ann`, { limits: { daily: 0.002 } })).status).toBe(200);
    const key = await createKey(t, { name: "ann", role: "user", userId: "ann" });
    const pool = await activePool(t, { scope: "user:ann", amountUsd: 0.01 });

    const timings: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await call(key, 100);
      expect(res.status).toBe(200);
      expect(res.headers.get("x-budget-burst")).toBeNull();
      timings.push(res.headers.get("server-timing") ?? "");
    }
    // Some of them were decided at the edge (no ledger call), from an allowance the object granted.
    expect(timings.some((s) => /ledger;dur=0(,|$)/.test(s))).toBe(true);
    const holds = await runInDurableObject(ledger(t), (_i, state) => state.storage.sql.exec(`SELECT COUNT(*) AS n FROM allowances`).one().n);
    expect(Number(holds)).toBeGreaterThan(0);
    expect(await poolTotal(t, pool)).toEqual({ spent: 0, reserved: 0, requests: 0 });

    const over = await call(key, 3000);
    expect(over.status).toBe(200);
    expect(over.headers.get("x-budget-burst")).toBe(pool);
    const drawn = await poolTotal(t, pool);
    const day = await ledger(t).counter("user:ann", today());
    expect(drawn.reserved).toBe(0);
    expect(day.reserved).toBe(0);
    // No hold inflated the draw: ann's own spend ends exactly at her limit, the pool paid the rest.
    expect(day.spent - drawn.spent).toBe(2000);
    expect(drawn.spent).toBeGreaterThan(0);
  });

  it("another subject's idle hold, returned unspent before the drawing call settles, costs the pool nothing", async () => {
    const { t, keyHash } = await pricedTenant({ limits: { daily: 0.01 } });
    const pool = await activePool(t, { scope: "tenant", amountUsd: 0.01 });
    const bobHash = await sha256Hex(await createKey(t, { name: "bob", role: "user", userId: "bob" }));
    const sample = { model: "mock-small", kind: "chat" as const, inputTokens: 100, requestedMaxTokens: 100, choices: 1 };
    const grant = await ledger(t).acquireAllowance({ keyHash: bobHash, userId: null, bodyUserId: null, feature: null, sample, ratePerSec: 1_000_000 });
    if (!("grant" in grant)) throw new Error(`no allowance: ${grant.none}`);
    const hold = grant.grant.hold;
    expect(hold).toBeGreaterThan(0);

    // Ann's call does not fit beside bob's hold: the object holds the excess from the tenant's pool.
    const amount = 10_000 - hold + 1000;
    const r = await reserve(t, keyHash, 100, amount - 100);
    expect(r).toMatchObject({ status: "allowed", amount, burstId: pool });
    expect((await poolTotal(t, pool)).reserved).toBe(1000);

    // Bob's hold comes back unspent; then ann's call settles in full, within the tenant's own limit.
    const back = await ledger(t).flushAllowance({
      allowanceId: grant.grant.allowanceId,
      keyHash: bobHash,
      records: [],
      inflight: 0,
      renew: false,
      ratePerSec: 0,
      sample: null,
      seq: 1,
    });
    expect(back).toBeDefined();
    if (r.status === "allowed") await settle(t, r.reservationId, 100, amount - 100);
    expect(await poolTotal(t, pool)).toEqual({ spent: 0, reserved: 0, requests: 0 });
  });
});
