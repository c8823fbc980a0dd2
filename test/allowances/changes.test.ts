/**
 * Changes reach a busy subject within 1 s (DESIGN "Edge allowances", README
 * "Guarantees"): its isolate decides from an allowance of at most a second,
 * renewed twice a second by a flush that re-authenticates the key and
 * re-reads the limits. Time is counted in requests one 100 ms apart: 11 of
 * them span more than the allowance's lifetime. A subject with no allowance
 * sees a change at once.
 */
import { runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import type { Ledger } from "../../src/ledger/state";
import type { TenantLedger } from "../../src/ledger/tenant-ledger";
import { admin, createTenant } from "../helpers/guard";
import { ledger, one, paced, untilLocal } from "./busy";

/** Within a second: at most this many requests 100 ms apart. */
const WITHIN_1S = 11;

async function busyTenant(config: Record<string, unknown> = { limits: { daily: 100 } }) {
  const t = await createTenant(config);
  const res = await admin("POST", `/tenants/${t}/keys`, { name: "k", role: "user", userId: "ann" });
  const k = (await res.json()) as { id: string; key: string };
  return { t, keyId: k.id, key: k.key };
}

const status = (want: number) => (res: Response) => res.status === want;

afterEach(async () => {
  await admin("PUT", "/global", { limits: {} });
});

describe("changes reach a busy subject within 1 s", () => {
  it("key revoked → 401", async () => {
    const { t, keyId, key } = await busyTenant();
    await untilLocal(t, key);
    expect((await admin("DELETE", `/tenants/${t}/keys/${keyId}`)).status).toBe(200);
    expect(await paced(key, status(401))).toBeLessThanOrEqual(WITHIN_1S);
  });

  it("limit lowered → 402", async () => {
    const { t, key } = await busyTenant();
    await untilLocal(t, key);
    expect((await admin("PUT", `/tenants/${t}/users/ann`, { limits: { daily: 0.000001 } })).status).toBe(200);
    expect(await paced(key, status(402))).toBeLessThanOrEqual(WITHIN_1S);
  });

  it("tenant frozen → 429 tenant_frozen", async () => {
    const { t, key } = await busyTenant();
    await untilLocal(t, key);
    await runInDurableObject(ledger(t), (instance: TenantLedger) => {
      const l = (instance as unknown as { l: Ledger }).l;
      l.store.setFrozen({ at: Date.now(), reason: "test" });
      l.state.tenant = undefined;
    });
    let last: Response | null = null;
    const n = await paced(key, (res) => ((last = res), res.status === 429));
    expect(n).toBeLessThanOrEqual(WITHIN_1S);
    expect(((await (last as unknown as Response).json()) as { error: { code: string } }).error.code).toBe("tenant_frozen");
  });

  it("tenant deleted → 401", async () => {
    const { t, key } = await busyTenant();
    await untilLocal(t, key);
    expect((await admin("DELETE", `/tenants/${t}`)).status).toBe(200);
    expect(await paced(key, status(401))).toBeLessThanOrEqual(WITHIN_1S);
  });

  it("global limit changed → 402", async () => {
    const { t, key } = await busyTenant();
    await untilLocal(t, key);
    expect((await admin("PUT", "/global", { limits: { daily: 0.000001 } })).status).toBe(200);
    expect(await paced(key, status(402))).toBeLessThanOrEqual(WITHIN_1S);
  });

  it("a subject without an allowance sees a revoked key at once", async () => {
    const { t, keyId, key } = await busyTenant();
    expect((await one(key)).status).toBe(200);
    expect((await admin("DELETE", `/tenants/${t}/keys/${keyId}`)).status).toBe(200);
    expect((await one(key)).status).toBe(401);
  });
});
