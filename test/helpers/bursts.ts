/** Helpers of the burst pool suites (test/bursts): pools through the admin API, reserves and settles by RPC, pool counters. */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect } from "vitest";
import { sha256Hex } from "../../src/auth/keys";
import type { TenantLedger } from "../../src/ledger/tenant-ledger";
import type { Ledger } from "../../src/ledger/state";
import type { ReserveRequest, ReserveResult } from "../../src/ledger/types";
import { admin, createKey, createTenant, reserveRequest } from "./guard";

export const ledger = (t: string) => env.TENANT_LEDGER.getByName(t);
/** An hour from now, ISO. */
export const inAnHour = () => new Date(Date.now() + 3_600_000).toISOString();
/** 1 micro-USD per token in and out, so amounts read as token counts. */
export const PRICES = { prices: { "mock-small": { input: 1, output: 1 } }, minOutputTokens: 1 };

/** A burst pool as the API returns it. */
export interface Pool {
  id: string;
  scope: string;
  state: string;
  amountUsd: number;
  spentUsd: number;
  reservedUsd: number;
  remainingUsd: number;
  maxPerRequestUsd: number | null;
}

/** Creates a pool (operator unless `token`); returns the response and its body. */
export async function postBurst(t: string, body: Record<string, unknown>, token?: string): Promise<{ status: number; body: Pool & Record<string, unknown> }> {
  const res = await admin("POST", `/tenants/${t}/bursts`, { reason: "launch week", expiresAt: inAnHour(), ...body }, token);
  return { status: res.status, body: (await res.json()) as Pool & Record<string, unknown> };
}

/** Creates an active pool as the operator; returns its id. */
export async function activePool(t: string, body: Record<string, unknown>): Promise<string> {
  const r = await postBurst(t, body);
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body.id;
}

/** A tenant priced at 1 micro-USD a token, a service key (any user by header) and its hash. */
export async function pricedTenant(config: Record<string, unknown> = {}) {
  const t = await createTenant({ ...PRICES, ...config });
  const key = await createKey(t, { name: "svc", role: "service" });
  return { t, key, keyHash: await sha256Hex(key) };
}

/** Reserves by RPC: `input` tokens and a cap of `output` (so the amount is input + output). */
export function reserve(t: string, keyHash: string, input: number, output: number, over: Partial<ReserveRequest> = {}): Promise<ReserveResult> {
  return ledger(t).reserve(reserveRequest(keyHash, { userId: "ann", inputTokens: input, requestedMaxTokens: output, ...over }));
}

/** Settles by RPC at `input` + `output` tokens (= micro-USD). */
export function settle(t: string, reservationId: string, input: number, output: number) {
  return ledger(t).settle({
    reservationId,
    usage: { inputTokens: input, cachedInputTokens: 0, cacheWriteTokens: 0, outputTokens: output },
    outcome: "ok",
  });
}

/** Reserves and settles one call at its full amount (pre-spend). */
export async function spend(t: string, keyHash: string, input: number, output: number, over: Partial<ReserveRequest> = {}): Promise<void> {
  const r = await reserve(t, keyHash, input, output, over);
  expect(r.status).toBe("allowed");
  if (r.status === "allowed") await settle(t, r.reservationId, input, output);
}

/** A pool's all-time counter row (micro-USD). */
export const poolTotal = (t: string, id: string) => ledger(t).counter(`burst:${id}`, "total");

/** The pool as listed by the analysis route. */
export async function analysis(t: string, id: string, token?: string): Promise<Record<string, unknown> & Pool> {
  const res = await admin("GET", `/tenants/${t}/bursts/${id}`, undefined, token);
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown> & Pool;
}

/** Runs SQL in the tenant's object and forgets its pool index (to move a pool's expiry in tests). */
export async function sqlInLedger(t: string, query: string, ...b: (string | number)[]): Promise<void> {
  await runInDurableObject(ledger(t), (instance: TenantLedger, state) => {
    state.storage.sql.exec(query, ...b);
    (instance as unknown as { l: Ledger }).l.state.burstPools = undefined;
  });
}
