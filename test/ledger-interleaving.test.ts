/**
 * Randomized interleavings of reserve / settle / release across users and
 * features, straight against the TenantLedger's RPC methods: no scope's
 * committed spend ever exceeds its limit, and each counter equals the sum of
 * what was settled in it.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { sha256Hex } from "../src/auth/keys";
import type { TenantLedger } from "../src/ledger/tenant-ledger";
import type { ReserveResult } from "../src/ledger/types";
import { admin, createKey, createTenant } from "./helpers/guard";

const USERS = ["u1", "u2", "u3"];
const FEATURES = ["chat", "search"];

type Op =
  | { kind: "reserve"; user: number; feature: number; input: number; cap: number }
  | { kind: "settle"; pick: number; fraction: number }
  | { kind: "release"; pick: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant("reserve" as const),
    user: fc.nat(USERS.length - 1),
    feature: fc.nat(FEATURES.length - 1),
    input: fc.integer({ min: 1, max: 3000 }),
    cap: fc.integer({ min: 1, max: 3000 }),
  }),
  fc.record({ kind: fc.constant("settle" as const), pick: fc.nat(), fraction: fc.double({ min: 0, max: 1, noNaN: true }) }),
  fc.record({ kind: fc.constant("release" as const), pick: fc.nat() }),
);

interface Open {
  id: string;
  input: number;
  output: number;
  counters: string[];
}

describe("ledger interleavings", () => {
  it("never commits past a limit and counts exactly what was settled", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(op, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 12 }), async (batches) => {
        const t = await createTenant({ limits: { daily: 0.02 }, userDefaults: { daily: 0.008 }, minOutputTokens: 1 });
        await admin("PUT", `/tenants/${t}/features/search`, { limits: { daily: 0.01 } });
        await admin("PUT", `/tenants/${t}/users/u1`, { featureLimits: { chat: { daily: 0.004 } } });
        const keyHash = await sha256Hex(await createKey(t, { name: "svc", role: "service" }));
        const stub = env.TENANT_LEDGER.getByName(t);
        const open: Open[] = [];
        const settledBy = new Map<string, number>();
        let seq = 0;

        for (const batch of batches) {
          // Each batch runs concurrently: the object must serialize it correctly.
          await Promise.all(
            batch.map(async (o) => {
              if (o.kind === "reserve") {
                const id = `r${++seq}`;
                const user = USERS[o.user]!;
                const feature = FEATURES[o.feature]!;
                const res: ReserveResult = await stub.reserve({
                  requestId: id,
                  keyHash,
                  userId: user,
                  bodyUserId: null,
                  feature,
                  model: "mock-large",
                  kind: "chat",
                  inputTokens: o.input,
                  inputExact: true,
                  requestedMaxTokens: o.cap,
                  idempotent: false,
                  finalMessageEligible: false,
                  streaming: false,
                });
                if (res.status === "allowed") {
                  const counters = ["tenant", `user:${user}`, `feature:${feature}`];
                  if (user === "u1" && feature === "chat") counters.push("uf:u1|chat");
                  open.push({ id, input: o.input, output: res.forwardMaxTokens ?? o.cap, counters });
                } else {
                  expect(["blocked"]).toContain(res.status);
                }
              } else if (open.length > 0) {
                const r = open.splice(o.pick % open.length, 1)[0]!;
                if (o.kind === "settle") {
                  // A real provider never bills more output than the (possibly clamped) cap.
                  const out = Math.floor(r.output * o.fraction);
                  const res = await stub.settle({
                    reservationId: r.id,
                    usage: { inputTokens: r.input, cachedInputTokens: 0, cacheWriteTokens: 0, outputTokens: out },
                    outcome: "ok",
                  });
                  expect(res.applied).toBe(true);
                  for (const c of r.counters) settledBy.set(c, (settledBy.get(c) ?? 0) + res.cost);
                  // Duplicates and reordering change nothing.
                  expect(
                    (
                      await stub.settle({
                        reservationId: r.id,
                        usage: { inputTokens: 1, cachedInputTokens: 0, cacheWriteTokens: 0, outputTokens: 1 },
                        outcome: "ok",
                      })
                    ).applied,
                  ).toBe(false);
                  expect((await stub.release(r.id)).applied).toBe(false);
                } else {
                  expect((await stub.release(r.id)).applied).toBe(true);
                  expect((await stub.release(r.id)).applied).toBe(false);
                }
              }
            }),
          );

          const rows = await runInDurableObject(stub, (_i: TenantLedger, state) =>
            state.storage.sql
              .exec<{ scope: string; spent: number; reserved: number }>(
                `SELECT scope, spent, reserved FROM counters WHERE win LIKE 'day:%'`,
              )
              .toArray(),
          );
          const limits: Record<string, number> = { tenant: 20_000, "feature:search": 10_000, "uf:u1|chat": 4_000 };
          for (const u of USERS) limits[`user:${u}`] = 8_000;
          for (const row of rows) {
            const limit = limits[row.scope];
            if (limit !== undefined) expect(row.spent + row.reserved).toBeLessThanOrEqual(limit);
            expect(row.reserved).toBeGreaterThanOrEqual(0);
            expect(row.spent).toBe(settledBy.get(row.scope) ?? 0);
          }
        }
      }),
      { numRuns: 25 },
    );
  });
});
