/**
 * Storage per request (issue 13 item 4), measured with the TenantLedger's own
 * counters (`stats()`: RPCs served, SQLite rows written): a quiet call — one
 * reserve and one settle, no alert, no limit near — writes a fixed, small
 * number of rows. The bound is the number measured; a regression fails here.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { sha256Hex } from "../src/auth/keys";
import type { ReserveResult } from "../src/ledger/types";
import { createKey, createTenant, reserveRequest } from "./helpers/guard";

const ledger = (t: string) => env.TENANT_LEDGER.getByName(t);
const USAGE = { inputTokens: 100, cachedInputTokens: 0, cacheWriteTokens: 0, outputTokens: 20 };

function allowed(r: ReserveResult): Extract<ReserveResult, { status: "allowed" }> {
  if (r.status !== "allowed") throw new Error(`expected allowed, got ${JSON.stringify(r)}`);
  return r;
}

/** A tenant with limits on every level, and a service key; `call` reserves and settles one request for user u. */
async function setup() {
  const t = await createTenant({ limits: { daily: 100, monthly: 1000 } });
  const hash = await sha256Hex(await createKey(t, { name: "svc", role: "service" }));
  const call = async (i: number) => {
    const r = allowed(
      await ledger(t).reserve(reserveRequest(hash, { requestId: `req-${i}`, userId: "u", feature: "chat", requestedMaxTokens: 50 })),
    );
    await ledger(t).settle({ reservationId: r.reservationId, usage: USAGE, outcome: "ok" });
  };
  return { t, call };
}

describe("rows written per request", () => {
  it("a quiet reserve + settle makes 2 RPCs and writes at most ROWS_PER_REQUEST rows", async () => {
    const { t, call } = await setup();
    await call(0); // the first call creates the window's rows; measure the steady state after it
    const before = await ledger(t).stats();
    for (let i = 1; i <= 10; i++) await call(i);
    const after = await ledger(t).stats();
    expect(after.rpcs - before.rpcs).toBe(20);
    const perRequest = (after.rowsWritten - before.rowsWritten) / 10;
    console.log(`rows written per quiet request: ${perRequest}`);
    expect(perRequest).toBeLessThanOrEqual(ROWS_PER_REQUEST);
  });
});

/**
 * Measured (SQLite counts index entries too, as Durable Objects bill them): counters (tenant, user,
 * feature; day and month) 6 at reserve + 6 at settle, the reservation 3 (row + 2 indexes) at insert
 * and 2 at close, hourly 1, the request detail row 5 (row + 4 indexes).
 */
const ROWS_PER_REQUEST = 23;
