/**
 * Applying a reallocation: both monthly limits move at once for reservations
 * (a feature blocked at its limit passes after +amount, the source blocks
 * earlier), for GET /v1/budget and the usage report; the apply is checked in
 * the same transaction against `from`'s spend and reservations in flight,
 * so approving beside concurrent reserves never leaves `from` over its new limit.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { admin, call, chat, eventually, reserveRequest } from "../helpers/guard";
import {
  decide,
  expectBlocked,
  keyHash,
  monthCounter,
  pending,
  reallocTenant,
  setSpent,
  type ErrorBody,
  type ReallocationBody,
} from "../helpers/reallocations";

const hello = { messages: [{ role: "user", content: "Hello" }] };
const ask = (key: string, feature: string) =>
  chat(key, { model: "mock-small", ...hello, max_tokens: 100 }, { "x-budget-feature": feature });

describe("an applied reallocation moves both limits at once", () => {
  it("the blocked feature passes after +amount; the source blocks earlier; budget and usage show the new limits", async () => {
    const { t, userKey, a, b } = await reallocTenant({ search: 0.00005, chat: 1 });
    // chat has $0.49995 spent: a call (~$0.00006 reserved) fits its $1 but not $0.50 after giving $0.50.
    await setSpent(t, "feature:chat", 499_950);
    await expectBlocked(await ask(userKey, "search"), "feature_monthly_budget_exceeded");
    expect((await ask(userKey, "chat")).status).toBe(200);
    await eventually(async () => expect((await monthCounter(t, "feature:chat")).reserved).toBe(0));

    const r = await pending(t, { from: "feature:chat", to: "feature:search", amountUsd: 0.5, reason: "search launch" }, a.key);
    // Pending changes nothing.
    await expectBlocked(await ask(userKey, "search"), "feature_monthly_budget_exceeded");
    expect((await decide(t, r.id, "approve", b.key)).status).toBe(200);

    expect((await ask(userKey, "search")).status).toBe(200);
    await expectBlocked(await ask(userKey, "chat"), "feature_monthly_budget_exceeded");

    const lines = (await (
      await call("/v1/budget", { headers: { authorization: `Bearer ${userKey}`, "x-budget-feature": "search" } })
    ).json()) as {
      scopes: { scope: string; window: string; limitUsd: number | null }[];
    };
    expect(lines.scopes.find((s) => s.scope === "feature" && s.window === "monthly")?.limitUsd).toBeCloseTo(0.50005, 9);
    const month = new Date().toISOString().slice(0, 7);
    const usage = (await (await admin("GET", `/tenants/${t}/usage?period=month&at=${month}&groupBy=feature`)).json()) as {
      groups: { group: string; limitUsd: number | null }[];
    };
    const limits = Object.fromEntries(usage.groups.map((g) => [g.group, g.limitUsd]));
    expect(limits.chat).toBeCloseTo(0.5, 9);
    expect(limits.search).toBeCloseTo(0.50005, 9);
  });

  it("user scopes too; the tenant's own limit (and the plan report) does not move", async () => {
    const { t, userKey, a, b } = await reallocTenant({}, { limits: { monthly: 100 }, userDefaults: { monthly: 0.00005 } });
    await admin("PUT", `/tenants/${t}/users/donor`, { limits: { monthly: 10 } });
    await expectBlocked(await ask(userKey, "default"), "user_monthly_budget_exceeded");
    const r = await pending(t, { from: "user:donor", to: "user:u", amountUsd: 1, reason: "u needs more" }, a.key);
    expect((await decide(t, r.id, "approve", b.key)).status).toBe(200);
    expect((await ask(userKey, "default")).status).toBe(200);
    const plan = (await (await admin("GET", `/tenants/${t}/plan`)).json()) as { rows: { plannedUsd: number | null }[] };
    expect(plan.rows[0]!.plannedUsd).toBe(100);
  });
});

describe("the apply check sees reservations in flight", () => {
  it("409 with the figures while a reservation holds `from`; nothing applied; approved once it is released", async () => {
    const { t, userKey, a, b } = await reallocTenant({ src: 0.001, dst: 1 });
    const r = await pending(t, { from: "feature:src", to: "feature:dst", amountUsd: 0.0009, reason: "move" }, a.key);
    const stub = env.TENANT_LEDGER.getByName(t);
    const held = await stub.reserve(reserveRequest(await keyHash(userKey), { feature: "src", requestedMaxTokens: 500 }));
    expect(held.status).toBe("allowed");
    const reserved = (await monthCounter(t, "feature:src")).reserved;
    expect(reserved).toBeGreaterThan(100);

    const res = await decide(t, r.id, "approve", b.key);
    expect(res.status).toBe(409);
    const e = (await res.json()) as ErrorBody;
    expect(e.error.code).toBe("reallocation_exceeds_room");
    expect(e.error.details).toEqual({
      scope: "feature:src",
      limitUsd: 0.001,
      reducedLimitUsd: 0.0001,
      spentUsd: 0,
      reservedUsd: reserved / 1e6,
    });
    expect(e.error.message).toContain("$0.001");
    expect(e.error.message).toContain("reserved");
    // Nothing applied: still pending, limits unchanged.
    expect(((await (await admin("GET", `/tenants/${t}/reallocations/${r.id}`)).json()) as ReallocationBody).state).toBe("pending");
    const lines = await stub.budget(await keyHash(userKey), null, "src");
    expect("lines" in lines && lines.lines.find((l) => l.scope === "feature" && l.window === "monthly")?.limit).toBe(1000);

    if (held.status === "allowed") stub.release(held.reservationId);
    expect((await decide(t, r.id, "approve", b.key)).status).toBe(200);
  });

  it("approving beside concurrent reserves on `from` never leaves it over its new limit", async () => {
    const { t, userKey, a, b } = await reallocTenant({ src: 0.002, dst: 1 });
    const r = await pending(t, { from: "feature:src", to: "feature:dst", amountUsd: 0.001, reason: "move" }, a.key);
    const stub = env.TENANT_LEDGER.getByName(t);
    const hash = await keyHash(userKey);
    // 30 reserves of ~$0.00006 each (~$0.0018 together), one after another, while the approval halving src
    // to $0.001 is on its way: it lands between two of them, and the reserves after it see the new limit.
    const approving = decide(t, r.id, "approve", b.key);
    const results = [];
    for (let i = 0; i < 30; i++) results.push(await stub.reserve(reserveRequest(hash, { feature: "src" })));
    const approval = await approving;
    const allowed = results.filter((x) => x.status === "allowed").length;
    const c = await monthCounter(t, "feature:src");
    const state = ((await (await admin("GET", `/tenants/${t}/reallocations/${r.id}`)).json()) as ReallocationBody).state;
    if (approval.status === 200) {
      expect(state).toBe("applied");
      expect(c.spent + c.reserved).toBeLessThanOrEqual(1000);
      expect(allowed).toBeLessThan(30);
    } else {
      expect(approval.status).toBe(409);
      expect(state).toBe("pending");
      expect(c.spent + c.reserved).toBeGreaterThan(1000);
    }
    expect(c.spent + c.reserved).toBeLessThanOrEqual(2000);
  });
});
