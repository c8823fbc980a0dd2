/**
 * Keys, roles and attribution on the application layer: the proxy's rules
 * (a user key is its user, a service key names one, an admin key may not
 * spend, X-Budget-Feature and bound features), and the ownership rule of a
 * reservation: only the key that made it, or a key of the same principal
 * (another user key of the same user; any service key of the tenant), may
 * commit or release it.
 */
import { describe, expect, it } from "vitest";
import { admin, createKey, createTenant } from "../helpers/guard";
import { ledger, today } from "../helpers/traffic";
import { commitApi, releaseApi, reserveApi, usageApi } from "../helpers/app-layer";

async function tenantWithKeys() {
  const t = await createTenant({ limits: { daily: 10 } });
  const [alice, alice2, bob, service, service2, adminKey] = await Promise.all([
    createKey(t, { name: "alice", role: "user", userId: "alice" }),
    createKey(t, { name: "alice phone", role: "user", userId: "alice" }),
    createKey(t, { name: "bob", role: "user", userId: "bob" }),
    createKey(t, { name: "backend", role: "service" }),
    createKey(t, { name: "backend 2", role: "service" }),
    createKey(t, { name: "ops", role: "admin" }),
  ]);
  return { t, alice, alice2, bob, service, service2, adminKey };
}

describe("attribution", () => {
  it("a service key must name the user (header or body); a user key is its own user", async () => {
    const { t, alice, service } = await tenantWithKeys();
    const missing = await reserveApi(service, { amountUsd: 0.01 });
    expect(missing.status).toBe(400);
    expect(missing.body.error?.code).toBe("missing_user");
    expect((await reserveApi(service, { amountUsd: 0.01 }, { "x-budget-user": "carol" })).body.user).toBe("carol");
    expect((await reserveApi(service, { amountUsd: 0.01, user: "dave" })).body.user).toBe("dave");
    // The header wins over the body, as on the LLM routes.
    expect((await reserveApi(service, { amountUsd: 0.01, user: "dave" }, { "x-budget-user": "erin" })).body.user).toBe("erin");
    expect((await reserveApi(alice, { amountUsd: 0.01 })).body.user).toBe("alice");
    const other = await reserveApi(alice, { amountUsd: 0.01 }, { "x-budget-user": "bob" });
    expect(other.status).toBe(403);
    expect((await ledger(t).counter("user:carol", today())).reserved).toBe(10_000);
  });

  it("the feature comes from X-Budget-Feature, else the body, else the key's binding; a bound key cannot name another", async () => {
    const t = await createTenant({ limits: { daily: 10 } });
    const bound = await createKey(t, { name: "search", role: "user", userId: "u", feature: "search" });
    const free = await createKey(t, { name: "free", role: "user", userId: "u" });
    expect((await reserveApi(bound, { amountUsd: 0.01 })).body.feature).toBe("search");
    expect((await reserveApi(bound, { amountUsd: 0.01 }, { "x-budget-feature": "chat" })).status).toBe(403);
    expect((await reserveApi(free, { amountUsd: 0.01, feature: "images" })).body.feature).toBe("images");
    expect((await reserveApi(free, { amountUsd: 0.01, feature: "images" }, { "x-budget-feature": "video" })).body.feature).toBe("video");
    expect((await reserveApi(free, { amountUsd: 0.01 })).body.feature).toBe("default");
  });

  it("requireDeclaredFeatures holds for reservations and recorded usage", async () => {
    const t = await createTenant({ limits: { daily: 10 }, requireDeclaredFeatures: true });
    const key = await createKey(t, { name: "k", role: "user", userId: "u" });
    await admin("PUT", `/tenants/${t}/features/search`, { limits: { daily: 1 } });
    expect((await reserveApi(key, { amountUsd: 0.01 }, { "x-budget-feature": "search" })).status).toBe(201);
    const undeclared = await reserveApi(key, { amountUsd: 0.01 }, { "x-budget-feature": "other" });
    expect(undeclared.status).toBe(403);
    expect(undeclared.body.error?.code).toBe("undeclared_feature");
    const recorded = await usageApi(key, { costUsd: 0.01, source: "x" }, "u1", { "x-budget-feature": "other" });
    expect(recorded.status).toBe(403);
    expect((await ledger(t).counter("tenant", today())).spent).toBe(0);
  });
});

describe("roles", () => {
  it("an admin key may not reserve, commit, release or record usage", async () => {
    const { adminKey, alice } = await tenantWithKeys();
    expect((await reserveApi(adminKey, { amountUsd: 0.01 })).status).toBe(403);
    expect((await usageApi(adminKey, { costUsd: 0.01, source: "x" }, "a1")).status).toBe(403);
    const { body } = await reserveApi(alice, { amountUsd: 0.01 });
    expect((await commitApi(adminKey, body.id, { costUsd: 0.01 })).status).toBe(403);
    expect((await releaseApi(adminKey, body.id)).status).toBe(403);
  });

  it("a revoked key can no longer act on its reservation", async () => {
    const { t, alice } = await tenantWithKeys();
    const { body } = await reserveApi(alice, { amountUsd: 0.01 });
    const keys = (await (await admin("GET", `/tenants/${t}/keys`)).json()) as { keys: { id: string; name: string }[] };
    const id = keys.keys.find((k) => k.name === "alice")!.id;
    await admin("DELETE", `/tenants/${t}/keys/${id}`);
    expect((await commitApi(alice, body.id, { costUsd: 0.01 })).status).toBe(401);
  });
});

describe("ownership: the reserving key's principal", () => {
  it("a user key cannot commit or release a service key's reservation (403), nor another user's", async () => {
    const { t, alice, bob, service } = await tenantWithKeys();
    const svc = await reserveApi(service, { amountUsd: 0.01 }, { "x-budget-user": "alice" });
    const asAlice = await commitApi(alice, svc.body.id, { costUsd: 0.01 });
    expect(asAlice.status).toBe(403);
    expect(asAlice.body.error).toMatchObject({ code: "not_reservation_owner", type: "permission_error" });
    expect((await releaseApi(alice, svc.body.id)).status).toBe(403);
    const mine = await reserveApi(alice, { amountUsd: 0.01 });
    expect((await commitApi(bob, mine.body.id, { costUsd: 0.01 })).status).toBe(403);
    expect((await commitApi(service, mine.body.id, { costUsd: 0.01 })).status).toBe(403);
    // Nothing was committed by any of them.
    expect((await ledger(t).counter("tenant", today())).spent).toBe(0);
  });

  it("another key of the same principal may: the same user's other key, any service key of the tenant", async () => {
    const { alice, alice2, service, service2 } = await tenantWithKeys();
    const mine = await reserveApi(alice, { amountUsd: 0.01 });
    expect((await commitApi(alice2, mine.body.id, { costUsd: 0.01 })).status).toBe(200);
    const job = await reserveApi(service, { amountUsd: 0.01 }, { "x-budget-user": "alice" });
    expect((await releaseApi(service2, job.body.id)).status).toBe(200);
  });
});
