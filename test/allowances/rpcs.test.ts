/**
 * The point of allowances: a busy subject's requests make (almost) no RPC to
 * the tenant object. Measured with the object's own `stats()` over a busy
 * loop after it warmed up: RPCs served per request ≤ 0.02 (issue 13's
 * target), and rows written per request reported.
 */
import { describe, expect, it } from "vitest";
import { createKey, createTenant, eventually } from "../helpers/guard";
import { windowsAt } from "../../src/budget/windows";
import { ledger, one, untilLocal } from "./busy";

const REQUESTS = 1000;
const CONCURRENCY = 20;

describe("RPCs per request on a busy loop", () => {
  it("≤ 0.02 RPCs to the tenant object per request, every request counted", async () => {
    const t = await createTenant({ limits: { daily: 100 } });
    const key = await createKey(t, { name: "k", role: "user", userId: "ann" });
    const warm = await untilLocal(t, key);
    const before = await ledger(t).stats();
    for (let done = 0; done < REQUESTS; done += CONCURRENCY) {
      const wave = await Promise.all(Array.from({ length: CONCURRENCY }, () => one(key)));
      for (const res of wave) expect(res.status).toBe(200);
    }
    const after = await ledger(t).stats();
    const rpcs = (after.rpcs - before.rpcs) / REQUESTS;
    const rows = (after.rowsWritten - before.rowsWritten) / REQUESTS;
    console.log(JSON.stringify({ msg: "allowances busy loop", requests: REQUESTS, rpcsPerRequest: rpcs, rowsPerRequest: rows }));
    expect(rpcs).toBeLessThanOrEqual(0.02);
    // Nothing lost: once the last batch is back and the allowance returned, every request is in the counters.
    const day = windowsAt(Date.now()).daily.key;
    await eventually(async () => {
      const c = await ledger(t).counter("tenant", day);
      expect(c.requests).toBe(warm + REQUESTS);
      expect(c.reserved).toBe(0);
    }, 10_000);
  });
});
