/**
 * Crash and eviction safety (DESIGN "Edge allowances"): an isolate that
 * vanishes holding an allowance has it counted as fully spent at expiry
 * (never under-count), and a late batch uses that credit before it adds
 * spend; the tenant object restarting loses nothing, since allowances are
 * rows.
 */
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { sha256Hex } from "../../src/auth/keys";
import { windowsAt } from "../../src/budget/windows";
import type { AllowanceRecord, AllowanceSample } from "../../src/ledger/allowances-types";
import type { TenantLedger } from "../../src/ledger/tenant-ledger";
import { createKey, createTenant, eventually } from "../helpers/guard";
import { ledger, one, untilLocal } from "./busy";

const SAMPLE: AllowanceSample = { model: "mock-small", kind: "chat", inputTokens: 100, requestedMaxTokens: 100, choices: 1 };
const day = () => windowsAt(Date.now()).daily.key;
/** Batch numbers: each batch of an allowance comes after the one before. */
let seq = 0;

function record(cost: number): AllowanceRecord {
  return {
    requestId: crypto.randomUUID(),
    model: "mock-small",
    inputTokens: 10,
    cachedTokens: 0,
    cacheWriteTokens: 0,
    outputTokens: 10,
    cost,
    outcome: "ok",
    outputCap: null,
    choices: 1,
    at: Date.now(),
  };
}

async function holder() {
  const t = await createTenant({ limits: { daily: 100 } });
  const keyHash = await sha256Hex(await createKey(t, { name: "k", role: "user", userId: "ann" }));
  const res = await ledger(t).acquireAllowance({
    keyHash,
    userId: null,
    bodyUserId: null,
    feature: null,
    sample: SAMPLE,
    ratePerSec: 1000,
  });
  if (!("grant" in res)) throw new Error(`no grant: ${res.none}`);
  return { t, keyHash, grant: res.grant };
}

/** Moves the allowance's expiry (and its grace) into the past, then runs the alarm. */
async function lapse(t: string, id: string): Promise<void> {
  await runInDurableObject(
    ledger(t),
    (_i: TenantLedger, s) => void s.storage.sql.exec(`UPDATE allowances SET expires_at = 0 WHERE id = ?`, id),
  );
  expect(await runDurableObjectAlarm(ledger(t))).toBe(true);
}

describe("an isolate that vanishes holding an allowance", () => {
  it("has the whole hold counted as spent at expiry", async () => {
    const { t, grant } = await holder();
    expect(await ledger(t).counter("tenant", day())).toEqual({ spent: 0, reserved: grant.hold, requests: 0 });
    await lapse(t, grant.allowanceId);
    expect(await ledger(t).counter("user:ann", day())).toEqual({ spent: grant.hold, reserved: 0, requests: 0 });
  });

  it("a late batch uses the credit first, then adds only the excess", async () => {
    const { t, keyHash, grant } = await holder();
    await lapse(t, grant.allowanceId);
    const flush = (records: AllowanceRecord[]) =>
      ledger(t).flushAllowance({
        allowanceId: grant.allowanceId,
        keyHash,
        records,
        inflight: 0,
        renew: true,
        ratePerSec: 0,
        sample: SAMPLE,
        seq: ++seq,
      });
    expect(await flush([record(grant.hold - 10)])).toEqual({ revoked: "expired" });
    expect(await ledger(t).counter("tenant", day())).toEqual({ spent: grant.hold, reserved: 0, requests: 1 });
    // 10 of credit left: a record of 25 adds 15.
    await flush([record(25)]);
    expect(await ledger(t).counter("tenant", day())).toEqual({ spent: grant.hold + 15, reserved: 0, requests: 2 });
  });
});

describe("a renewal's answer in flight", () => {
  it("keeps the old grant held until the next batch says what the isolate decided meanwhile", async () => {
    const { t, keyHash, grant } = await holder();
    // The key is revoked: this renewal comes back revoked, while the isolate (which does not know yet)
    // decides one more request under its old grant.
    await runInDurableObject(ledger(t), (_i: TenantLedger, s) => void s.storage.sql.exec(`UPDATE keys SET revoked_at = 1`));
    await runInDurableObject(ledger(t), (i: TenantLedger) =>
      (i as unknown as { l: { state: { keys: Map<string, unknown> } } }).l.state.keys.clear(),
    );
    const flush = (inflight: number, renew: boolean, records: AllowanceRecord[] = []) =>
      ledger(t).flushAllowance({
        allowanceId: grant.allowanceId,
        keyHash,
        records,
        inflight,
        renew,
        ratePerSec: 0,
        sample: SAMPLE,
        seq: ++seq,
      });
    expect(await flush(0, true)).toEqual({ revoked: "key_revoked" });
    expect((await ledger(t).counter("tenant", day())).reserved).toBe(grant.hold);
    // The next batch reports the one request in flight: only that stays held; its settlement returns the rest.
    await flush(75, false);
    expect((await ledger(t).counter("tenant", day())).reserved).toBe(75);
    await flush(0, false, [record(60)]);
    expect(await ledger(t).counter("tenant", day())).toEqual({ spent: 60, reserved: 0, requests: 1 });
  });
});

describe("batches out of order", () => {
  it("a batch overtaken by a later one adds its records and leaves the hold the later one set", async () => {
    const { t, keyHash, grant } = await holder();
    const flush = (n: number, inflight: number, records: AllowanceRecord[]) =>
      ledger(t).flushAllowance({
        allowanceId: grant.allowanceId,
        keyHash,
        records,
        inflight,
        renew: false,
        ratePerSec: 0,
        sample: SAMPLE,
        seq: n,
      });
    // A fold (batch 1, carried by a reserve) arrives after the flush sent after it (batch 2).
    await flush(2, 50, [record(20)]);
    expect(await flush(1, 999, [record(30)])).toEqual({ revoked: "superseded" });
    expect(await ledger(t).counter("tenant", day())).toEqual({ spent: 50, reserved: 50, requests: 2 });
  });
});

describe("the tenant object restarting", () => {
  it("keeps the allowance: it renews, settles and expires from its row", async () => {
    const { t, keyHash, grant } = await holder();
    await evictDurableObject(ledger(t));
    const renewed = await ledger(t).flushAllowance({
      allowanceId: grant.allowanceId,
      keyHash,
      records: [record(40), record(35)],
      inflight: 20,
      renew: true,
      ratePerSec: 1000,
      sample: SAMPLE,
      seq: ++seq,
    });
    expect("grant" in renewed).toBe(true);
    const hold = "grant" in renewed ? renewed.grant.hold : 0;
    expect(await ledger(t).counter("tenant", day())).toEqual({ spent: 75, reserved: hold, requests: 2 });
    await evictDurableObject(ledger(t));
    await lapse(t, grant.allowanceId);
    expect(await ledger(t).counter("tenant", day())).toEqual({ spent: 75 + hold, reserved: 0, requests: 2 });
  });

  it("loses nothing of a busy loop evicted half-way", async () => {
    const t = await createTenant({ limits: { daily: 100 } });
    const key = await createKey(t, { name: "k", role: "user", userId: "ann" });
    let n = await untilLocal(t, key);
    for (let i = 0; i < 20; i++, n++) expect((await one(key)).status).toBe(200);
    await evictDurableObject(ledger(t));
    for (let i = 0; i < 20; i++, n++) expect((await one(key)).status).toBe(200);
    // Each call costs the same; once the allowance is returned, the counters hold exactly n of them.
    await eventually(async () => {
      const c = await ledger(t).counter("tenant", day());
      expect(c.reserved).toBe(0);
      expect(c.requests).toBe(n);
      expect(c.spent % n).toBe(0);
    }, 10_000);
  });
});
