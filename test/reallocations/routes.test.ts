/**
 * The reallocation routes through the worker: ask, list, read, approve and
 * reject, with every role (the requester's own key never decides; another
 * admin key of the tenant and the operator do; another tenant's admin is
 * refused), validation naming the field, 404s for undeclared scopes and
 * unknown ids, 409s for non-pending requests and unlimited scopes, and the
 * audit log.
 */
import { describe, expect, it } from "vitest";
import { admin, call, createKey } from "../helpers/guard";
import { decide, pending, reallocTenant, requestRealloc, type ErrorBody, type ReallocationBody } from "../helpers/reallocations";

const move = (amountUsd = 1, from = "feature:spare", to = "feature:busy") => ({ from, to, amountUsd, reason: "shift" });

describe("asking", () => {
  it("201 pending for this month, recording the requesting key or the operator", async () => {
    const { t, a } = await reallocTenant({ spare: 10, busy: 5 });
    const byKey = await pending(t, move(2), a.key);
    expect(byKey).toMatchObject({
      from: "feature:spare",
      to: "feature:busy",
      amountUsd: 2,
      reason: "shift",
      state: "pending",
      requestedBy: `key:${a.id}`,
    });
    expect(byKey.id).toMatch(/^ra_[0-9a-f]{32}$/);
    expect(byKey.month).toBe(new Date().toISOString().slice(0, 7));
    expect((await pending(t, move(1))).requestedBy).toBe("operator");
  });

  const invalid: [string, unknown, string][] = [
    ["zero amount", move(0), "amountUsd"],
    ["negative amount", move(-5), "amountUsd"],
    ["from = to", move(1, "feature:busy", "feature:busy"), "to"],
    ["malformed scope", move(1, "feature spare"), "from"],
    ["tenant scope", move(1, "feature:spare", "tenant"), "to"],
    ["no reason", { from: "feature:spare", to: "feature:busy", amountUsd: 1 }, "reason"],
  ];
  it.each(invalid)("400 naming the field: %s", async (_n, body, field) => {
    const { t } = await reallocTenant({ spare: 10, busy: 5 });
    const res = await requestRealloc(t, body);
    expect(res.status).toBe(400);
    const e = (await res.json()) as ErrorBody;
    expect(e.error.code).toBe("validation_failed");
    expect((e.error.details as { field: string }[]).map((d) => d.field)).toContain(field);
  });

  it("404 for a well-formed scope naming an undeclared feature or user; users are declared by PUT users or a key", async () => {
    const { t } = await reallocTenant({ spare: 10 }, { userDefaults: { monthly: 5 } });
    const ghost = await requestRealloc(t, move(1, "feature:spare", "feature:ghost"));
    expect(ghost.status).toBe(404);
    expect((await ghost.json()) as ErrorBody).toMatchObject({ error: { code: "scope_not_found", details: [{ field: "to" }] } });
    expect((await requestRealloc(t, move(1, "user:nobody", "feature:spare"))).status).toBe(404);
    // `u` has a key bound to it; `carol` is stored by PUT users; both take userDefaults' monthly limit.
    await admin("PUT", `/tenants/${t}/users/carol`, { tier: null });
    expect((await requestRealloc(t, move(1, "user:u", "user:carol"))).status).toBe(201);
    expect((await requestRealloc(t, move(1, "user:carol", "feature:spare"))).status).toBe(201);
  });

  it("409 when a scope has no monthly limit this month (nothing to move)", async () => {
    const { t } = await reallocTenant({ spare: 10, open: null });
    for (const body of [move(1, "feature:open", "feature:spare"), move(1, "feature:spare", "feature:open")]) {
      const res = await requestRealloc(t, body);
      expect(res.status).toBe(409);
      expect(((await res.json()) as ErrorBody).error.code).toBe("scope_unlimited");
    }
  });

  it("404 for an unknown tenant", async () => {
    expect((await requestRealloc("no-such-tenant-realloc", move())).status).toBe(404);
    expect((await admin("GET", "/tenants/no-such-tenant-realloc/reallocations")).status).toBe(404);
  });
});

describe("who decides", () => {
  it("the requester's key → 403; another admin key of the tenant applies it", async () => {
    const { t, a, b } = await reallocTenant({ spare: 10, busy: 5 });
    const r = await pending(t, move(2), a.key);
    const own = await decide(t, r.id, "approve", a.key);
    expect(own.status).toBe(403);
    expect(((await own.json()) as ErrorBody).error.code).toBe("own_request");
    expect((await decide(t, r.id, "reject", a.key)).status).toBe(403);
    const ok = await decide(t, r.id, "approve", b.key);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({
      state: "applied",
      decidedBy: `key:${b.id}`,
      applied: { from: { limitUsd: 10, newLimitUsd: 8 }, to: { limitUsd: 5, newLimitUsd: 7 } },
    });
  });

  it("the operator decides any request, its own included", async () => {
    const { t, a } = await reallocTenant({ spare: 10, busy: 5 });
    const r1 = await pending(t, move(1), a.key);
    expect(((await (await decide(t, r1.id, "approve")).json()) as ReallocationBody).decidedBy).toBe("operator");
    const r2 = await pending(t, move(1));
    expect((await decide(t, r2.id, "approve")).status).toBe(200);
  });

  it("a tenant admin of another tenant, a user key and a service key → 403 on every route", async () => {
    const { t, a } = await reallocTenant({ spare: 10, busy: 5 });
    const other = await reallocTenant({});
    const r = await pending(t, move(1), a.key);
    const userKey = await createKey(t, { name: "u2", role: "user", userId: "u2" });
    const serviceKey = await createKey(t, { name: "s", role: "service" });
    for (const token of [other.a.key, userKey, serviceKey]) {
      expect((await requestRealloc(t, move(1), token)).status).toBe(403);
      expect((await admin("GET", `/tenants/${t}/reallocations`, undefined, token)).status).toBe(403);
      expect((await admin("GET", `/tenants/${t}/reallocations/${r.id}`, undefined, token)).status).toBe(403);
      expect((await decide(t, r.id, "approve", token)).status).toBe(403);
      expect((await decide(t, r.id, "reject", token)).status).toBe(403);
    }
    expect(((await (await admin("GET", `/tenants/${t}/reallocations/${r.id}`)).json()) as ReallocationBody).state).toBe("pending");
  });
});

describe("states", () => {
  it("reject with a reason; a decided request is a 409 either way; unknown id → 404", async () => {
    const { t, a, b } = await reallocTenant({ spare: 10, busy: 5 });
    const r = await pending(t, move(1), a.key);
    const rejected = await decide(t, r.id, "reject", b.key, { reason: "not this month" });
    expect(await rejected.json()).toMatchObject({
      state: "rejected",
      decidedBy: `key:${b.id}`,
      decisionReason: "not this month",
      applied: null,
    });
    for (const action of ["approve", "reject"] as const) {
      const again = await decide(t, r.id, action);
      expect(again.status).toBe(409);
      expect(((await again.json()) as ErrorBody).error.code).toBe("reallocation_not_pending");
    }
    const applied = await pending(t, move(1), a.key);
    await decide(t, applied.id, "approve", b.key);
    expect((await decide(t, applied.id, "reject")).status).toBe(409);
    expect((await decide(t, "ra_nope", "approve")).status).toBe(404);
    expect((await admin("GET", `/tenants/${t}/reallocations/ra_nope`)).status).toBe(404);
    expect((await decide(t, r.id, "reject", b.key, { reason: "" })).status).toBe(400);
  });

  it("lists newest first, filters by state, reads one", async () => {
    const { t, a, b } = await reallocTenant({ spare: 10, busy: 5 });
    const r1 = await pending(t, move(1), a.key);
    const r2 = await pending(t, move(2), a.key);
    const r3 = await pending(t, move(3), a.key);
    await decide(t, r1.id, "approve", b.key);
    await decide(t, r2.id, "reject", b.key);
    const list = async (q = "") =>
      ((await (await admin("GET", `/tenants/${t}/reallocations${q}`, undefined, b.key)).json()) as { reallocations: ReallocationBody[] })
        .reallocations;
    expect((await list()).map((r) => r.amountUsd).sort()).toEqual([1, 2, 3]);
    expect((await list("?state=pending")).map((r) => r.id)).toEqual([r3.id]);
    expect((await list("?state=applied")).map((r) => r.id)).toEqual([r1.id]);
    expect((await list("?state=rejected")).map((r) => r.id)).toEqual([r2.id]);
    expect((await admin("GET", `/tenants/${t}/reallocations?state=open`)).status).toBe(400);
    expect(await (await admin("GET", `/tenants/${t}/reallocations/${r1.id}`, undefined, a.key)).json()).toMatchObject({
      id: r1.id,
      state: "applied",
    });
  });
});

describe("audit", () => {
  it("request, approve and reject are audited with the actor, before and after", async () => {
    const { t, a, b } = await reallocTenant({ spare: 10, busy: 5 });
    const r1 = await pending(t, move(1), a.key);
    await decide(t, r1.id, "approve", b.key);
    const r2 = await pending(t, move(2), b.key);
    await decide(t, r2.id, "reject", undefined, { reason: "no" });
    const { entries } = (await (await admin("GET", `/tenants/${t}/audit?limit=4`)).json()) as {
      entries: {
        actor: string;
        action: string;
        target: string;
        before: Partial<ReallocationBody> | null;
        after: Partial<ReallocationBody>;
      }[];
    };
    expect(entries.map((e) => [e.action, e.actor, e.target])).toEqual([
      ["reallocation.reject", "operator", r2.id],
      ["reallocation.request", `key:${b.id}`, r2.id],
      ["reallocation.approve", `key:${b.id}`, r1.id],
      ["reallocation.request", `key:${a.id}`, r1.id],
    ]);
    expect(entries[0]).toMatchObject({ before: { state: "pending" }, after: { state: "rejected", decisionReason: "no" } });
    expect(entries[2]).toMatchObject({ before: { state: "pending" }, after: { state: "applied", applied: { from: { newLimitUsd: 9 } } } });
    expect(entries[3]).toMatchObject({ before: null, after: { state: "pending", amountUsd: 1 } });
  });
});

it("every reallocation route is in the OpenAPI document with an operationId", async () => {
  const doc = (await (await call("/admin/v1/openapi.json")).json()) as { paths: Record<string, Record<string, { operationId?: string }>> };
  const ops = (p: string) => Object.fromEntries(Object.entries(doc.paths[p] ?? {}).map(([m, o]) => [m, o.operationId]));
  expect(ops("/tenants/{t}/reallocations")).toEqual({ post: "createReallocation", get: "listReallocations" });
  expect(ops("/tenants/{t}/reallocations/{id}")).toEqual({ get: "getReallocation" });
  expect(ops("/tenants/{t}/reallocations/{id}/approve")).toEqual({ post: "approveReallocation" });
  expect(ops("/tenants/{t}/reallocations/{id}/reject")).toEqual({ post: "rejectReallocation" });
});
