/**
 * Randomized interleavings of several simulated isolates holding allowances
 * (acquire / spend locally / settle locally / flush and renew / expire /
 * revoke the key) and plain reserves and settles, all against one
 * TenantLedger's RPC methods. At every step, in every scope: committed +
 * outstanding ≤ limit, and each counter's spend equals what was settled into
 * it plus the holds counted as spent at expiry that no late record used.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { sha256Hex } from "../../src/auth/keys";
import { windowsAt } from "../../src/budget/windows";
import type { AllowanceRecord, AllowanceSample, FlushResult } from "../../src/ledger/allowances-types";
import type { TenantLedger } from "../../src/ledger/tenant-ledger";
import { admin, createTenant, reserveRequest } from "../helpers/guard";

const USERS = ["u1", "u2"];
const HOLDERS = 3;
const LIMITS: Record<string, number> = { tenant: 10_000, "user:u1": 6_000, "user:u2": 6_000 };
// mock-small: 100 in + 100 out = 15 + 60 = 75 micro-USD; one ceiling = 150.
const SAMPLE: AllowanceSample = { model: "mock-small", kind: "chat", inputTokens: 100, requestedMaxTokens: 100, choices: 1 };

type Op =
  | { kind: "acquire"; h: number; rate: number }
  | { kind: "spend"; h: number; amount: number }
  | { kind: "settle"; h: number; fraction: number }
  | { kind: "flush"; h: number; renew: boolean }
  | { kind: "flight"; h: number; amount: number }
  | { kind: "expire"; h: number }
  | { kind: "revoke"; h: number }
  | { kind: "reserve"; user: number; input: number; cap: number; fraction: number };

const h = fc.nat(HOLDERS - 1);
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant("acquire" as const), h, rate: fc.integer({ min: 0, max: 3000 }) }),
  fc.record({ kind: fc.constant("spend" as const), h, amount: fc.integer({ min: 1, max: 400 }) }),
  fc.record({ kind: fc.constant("spend" as const), h, amount: fc.integer({ min: 1, max: 400 }) }),
  fc.record({ kind: fc.constant("settle" as const), h, fraction: fc.double({ min: 0, max: 1, noNaN: true }) }),
  fc.record({ kind: fc.constant("settle" as const), h, fraction: fc.double({ min: 0, max: 1, noNaN: true }) }),
  fc.record({ kind: fc.constant("flush" as const), h, renew: fc.boolean() }),
  // A renewal whose answer is still on its way while the isolate decides another request under the old grant.
  fc.record({ kind: fc.constant("flight" as const), h, amount: fc.integer({ min: 1, max: 400 }) }),
  fc.record({ kind: fc.constant("expire" as const), h }),
  fc.record({ kind: fc.constant("revoke" as const), h }),
  fc.record({
    kind: fc.constant("reserve" as const),
    user: fc.nat(USERS.length - 1),
    input: fc.integer({ min: 1, max: 1000 }),
    cap: fc.integer({ min: 1, max: 1000 }),
    fraction: fc.double({ min: 0, max: 1, noNaN: true }),
  }),
);

/** One simulated isolate's allowance, as the edge keeps it. */
interface Held {
  id: string;
  hold: number;
  usable: boolean;
  inflight: number[];
  pending: AllowanceRecord[];
}

interface Holder {
  user: string;
  keyId: string;
  keyHash: string;
  held: Held[];
}

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

describe("allowance interleavings", () => {
  it("never commits past a limit and counts exactly what was settled (plus expired holds)", async () => {
    let seq = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 30 }), async (ops) => {
        const t = await createTenant({ limits: { daily: LIMITS.tenant! / 1e6 }, userDefaults: { daily: 0.006 }, minOutputTokens: 1 });
        const stub = env.TENANT_LEDGER.getByName(t);
        const holders: Holder[] = [];
        for (let i = 0; i < HOLDERS; i++) {
          const res = await admin("POST", `/tenants/${t}/keys`, { name: `h${i}`, role: "service" });
          const k = (await res.json()) as { id: string; key: string };
          holders.push({ user: USERS[i % USERS.length]!, keyId: k.id, keyHash: await sha256Hex(k.key), held: [] });
        }
        const settled = new Map<string, number>();
        const credit = (scopes: string[], cost: number) => {
          for (const s of scopes) settled.set(s, (settled.get(s) ?? 0) + cost);
        };
        const scopesOf = (user: string) => ["tenant", `user:${user}`];

        const used = (held: Held) => sum(held.inflight) + sum(held.pending.map((r) => r.cost));
        const flush = async (ho: Holder, held: Held, renew: boolean, during?: () => void) => {
          const records = held.pending.splice(0);
          const sent = stub.flushAllowance({
            allowanceId: held.id,
            keyHash: ho.keyHash,
            records,
            inflight: sum(held.inflight),
            renew: renew && held.usable,
            ratePerSec: 1000,
            sample: SAMPLE,
            seq: ++seq,
          });
          during?.();
          const res: FlushResult = await sent;
          credit(scopesOf(ho.user), sum(records.map((r) => r.cost)));
          if ("grant" in res) held.hold = res.grant.hold;
          else {
            held.usable = false;
            held.hold = sum(held.inflight);
          }
          if (!held.usable && held.inflight.length === 0 && held.pending.length === 0) ho.held.splice(ho.held.indexOf(held), 1);
        };

        for (const o of ops) {
          if (o.kind === "reserve") {
            const user = USERS[o.user]!;
            const id = `r${++seq}`;
            const res = await stub.reserve(
              reserveRequest(holders[o.user]!.keyHash, { requestId: id, userId: user, inputTokens: o.input, requestedMaxTokens: o.cap }),
            );
            if (res.status === "allowed") {
              const out = Math.floor((res.forwardMaxTokens ?? o.cap) * o.fraction);
              const s = await stub.settle({
                reservationId: id,
                usage: { inputTokens: o.input, cachedInputTokens: 0, cacheWriteTokens: 0, outputTokens: out },
                outcome: "ok",
              });
              credit(scopesOf(user), s.cost);
            }
          } else {
            const ho = holders[o.h]!;
            const current = ho.held.find((x) => x.usable);
            const any = ho.held[0];
            if (o.kind === "acquire" && !current) {
              const res = await stub.acquireAllowance({
                keyHash: ho.keyHash,
                userId: ho.user,
                bodyUserId: null,
                feature: null,
                sample: SAMPLE,
                ratePerSec: o.rate,
              });
              if ("grant" in res)
                ho.held.push({ id: res.grant.allowanceId, hold: res.grant.hold, usable: true, inflight: [], pending: [] });
            } else if (o.kind === "spend" && current) {
              // A local decision never takes more than the hold has left.
              if (used(current) + o.amount <= current.hold) current.inflight.push(o.amount);
            } else if (o.kind === "settle" && any && any.inflight.length > 0) {
              const amount = any.inflight.shift()!;
              const cost = Math.floor(amount * o.fraction);
              any.pending.push({
                requestId: `l${++seq}`,
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
              });
            } else if (o.kind === "flush" && any) {
              await flush(ho, any, o.renew);
            } else if (o.kind === "flight" && current) {
              const before = current.hold;
              await flush(ho, current, true, () => {
                if (used(current) + o.amount <= before) current.inflight.push(o.amount);
              });
            } else if (o.kind === "expire" && any) {
              // The isolate vanished: time passes beyond expiry + grace, and the alarm runs.
              await runInDurableObject(
                stub,
                (_i: TenantLedger, s) => void s.storage.sql.exec(`UPDATE allowances SET expires_at = 0 WHERE id = ?`, any.id),
              );
              await stub.tick();
              any.usable = false;
            } else if (o.kind === "revoke") {
              await admin("DELETE", `/tenants/${t}/keys/${ho.keyId}`);
            }
          }

          // Every step: the counters against the limits and against what was settled.
          const day = windowsAt(Date.now()).daily.key;
          const credits = await runInDurableObject(stub, (_i: TenantLedger, s) =>
            s.storage.sql
              .exec<{ id: string; user_id: string; credit: number; hold: number; state: string }>(
                `SELECT id, user_id, credit, hold, state FROM allowances`,
              )
              .toArray(),
          );
          // What an isolate has decided and not yet reported is always held for it by the object (or, expired, counted as spent).
          for (const ho of holders) {
            for (const held of ho.held) {
              const row = credits.find((r) => r.id === held.id)!;
              expect(row.state === "open" ? row.hold : row.credit).toBeGreaterThanOrEqual(used(held));
            }
          }
          for (const scope of Object.keys(LIMITS)) {
            const c = await stub.counter(scope, day);
            expect(c.reserved).toBeGreaterThanOrEqual(0);
            expect(c.spent + c.reserved).toBeLessThanOrEqual(LIMITS[scope]!);
            const unusedCredit = sum(credits.filter((r) => scope === "tenant" || scope === `user:${r.user_id}`).map((r) => r.credit));
            expect(c.spent).toBe((settled.get(scope) ?? 0) + unusedCredit);
          }
        }
      }),
      { numRuns: 100 },
    );
  });
});
