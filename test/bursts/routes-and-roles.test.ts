/**
 * The burst pool routes and who may call them: the operator creates active
 * pools and approves; a tenant admin asks (pending), may close, may not
 * approve; another tenant's admin reaches nothing; bad bodies are 400s
 * naming the field; undeclared scopes and unknown pools are 404s; every
 * change is audited; every route is in the OpenAPI document.
 */
import { describe, expect, it } from "vitest";
import { admin, call, createKey, createTenant } from "../helpers/guard";
import { inAnHour, postBurst } from "../helpers/bursts";

async function tenantWithAdmin() {
  const t = await createTenant({ limits: { daily: 10 } });
  await admin("PUT", `/tenants/${t}/users/ann`, { limits: { daily: 1 } });
  await admin("PUT", `/tenants/${t}/features/search`, { limits: { daily: 1 } });
  return { t, adminKey: await createKey(t, { name: "ops", role: "admin" }) };
}

const fieldsOf = async (res: Response) =>
  ((await res.json()) as { error: { code: string; details?: { field: string }[] } }).error;

describe("creating a pool", () => {
  it("the operator's pool is active; a tenant admin's is pending until the operator approves", async () => {
    const { t, adminKey } = await tenantWithAdmin();
    const op = await postBurst(t, { scope: "user:ann", amountUsd: 5, maxPerRequestUsd: 1 });
    expect(op.status).toBe(201);
    expect(op.body).toMatchObject({ scope: "user:ann", state: "active", amountUsd: 5, maxPerRequestUsd: 1, remainingUsd: 5, requestedBy: "operator" });
    expect(op.body.id).toMatch(/^bp_[A-Za-z0-9]{16}$/);

    const asked = await postBurst(t, { scope: "feature:search", amountUsd: 2 }, adminKey);
    expect(asked.status).toBe(201);
    expect(asked.body).toMatchObject({ state: "pending", maxPerRequestUsd: null, approvedBy: null });
    expect(asked.body.requestedBy).toMatch(/^key:key_/);

    // The tenant admin may not approve, not even its own request.
    const self = await admin("POST", `/tenants/${t}/bursts/${asked.body.id}/approve`, undefined, adminKey);
    expect(self.status).toBe(403);
    const ok = await admin("POST", `/tenants/${t}/bursts/${asked.body.id}/approve`);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ state: "active", approvedBy: "operator" });
    // Approving twice: it is no longer pending.
    const again = await admin("POST", `/tenants/${t}/bursts/${asked.body.id}/approve`);
    expect(again.status).toBe(409);
    expect((await fieldsOf(again)).code).toBe("burst_not_pending");

    const list = (await (await admin("GET", `/tenants/${t}/bursts`, undefined, adminKey)).json()) as { bursts: { id: string; state: string }[] };
    expect(list.bursts.map((b) => [b.id, b.state]).sort()).toEqual([[asked.body.id, "active"], [op.body.id, "active"]].sort());
  });

  it("a tenant pool needs no declaration; a user bound to a key counts as declared", async () => {
    const t = await createTenant({});
    await createKey(t, { name: "bob", role: "user", userId: "bob" });
    expect((await postBurst(t, { scope: "tenant", amountUsd: 1 })).status).toBe(201);
    expect((await postBurst(t, { scope: "user:bob", amountUsd: 1 })).status).toBe(201);
    expect((await postBurst(t, { scope: "feature:default", amountUsd: 1 })).status).toBe(201);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ["zero amount", { amountUsd: 0 }, "amountUsd"],
    ["negative amount", { amountUsd: -1 }, "amountUsd"],
    ["amount not a number", { amountUsd: "5" }, "amountUsd"],
    ["expiry in the past", { expiresAt: "2020-01-01T00:00:00Z" }, "expiresAt"],
    ["expiry not a datetime", { expiresAt: "tomorrow" }, "expiresAt"],
    ["per-request cap above the pool", { maxPerRequestUsd: 6 }, "maxPerRequestUsd"],
    ["per-request cap zero", { maxPerRequestUsd: 0 }, "maxPerRequestUsd"],
    ["empty reason", { reason: "" }, "reason"],
    ["reason over 500 characters", { reason: "x".repeat(501) }, "reason"],
    ["malformed scope", { scope: "users:ann" }, "scope"],
    ["scope with an empty id", { scope: "user:" }, "scope"],
    ["unknown field", { extra: 1 }, "(body)"],
  ])("400 for %s, naming %s", async (_name, over, field) => {
    const { t } = await tenantWithAdmin();
    const res = await admin("POST", `/tenants/${t}/bursts`, { scope: "user:ann", amountUsd: 5, reason: "r", expiresAt: inAnHour(), ...over });
    expect(res.status).toBe(400);
    const err = await fieldsOf(res);
    expect(err.code).toBe("validation_failed");
    expect(err.details?.map((d) => d.field)).toContain(field);
    const list = (await (await admin("GET", `/tenants/${t}/bursts`)).json()) as { bursts: unknown[] };
    expect(list.bursts).toEqual([]);
  });

  it("404 for a well-formed scope naming an undeclared user or feature, and for an unknown tenant", async () => {
    const { t } = await tenantWithAdmin();
    for (const scope of ["user:nobody", "feature:nothing"]) {
      const r = await admin("POST", `/tenants/${t}/bursts`, { scope, amountUsd: 1, reason: "r", expiresAt: inAnHour() });
      expect(r.status).toBe(404);
      expect(await fieldsOf(r)).toMatchObject({ code: "scope_not_found", details: [{ field: "scope" }] });
    }
    expect((await postBurst("no-such-tenant-bursts", { scope: "tenant", amountUsd: 1 })).status).toBe(404);
  });
});

describe("roles across tenants and pools", () => {
  it("another tenant's admin gets 403 on every route; an unknown pool is 404; a malformed id is 400", async () => {
    const { t } = await tenantWithAdmin();
    const other = await tenantWithAdmin();
    const id = (await postBurst(t, { scope: "tenant", amountUsd: 1 })).body.id;
    const routes: [string, string, unknown?][] = [
      ["POST", `/tenants/${t}/bursts`, { scope: "tenant", amountUsd: 1, reason: "r", expiresAt: inAnHour() }],
      ["GET", `/tenants/${t}/bursts`],
      ["GET", `/tenants/${t}/bursts/${id}`],
      ["POST", `/tenants/${t}/bursts/${id}/approve`],
      ["POST", `/tenants/${t}/bursts/${id}/close`],
    ];
    for (const [method, path, body] of routes) expect((await admin(method, path, body, other.adminKey)).status, `${method} ${path}`).toBe(403);
    const unknown = "bp_AAAAAAAAAAAAAAAA";
    for (const path of [`/tenants/${t}/bursts/${unknown}`, `/tenants/${t}/bursts/${unknown}/close`, `/tenants/${t}/bursts/${unknown}/approve`]) {
      const res = await admin(path.endsWith(unknown) ? "GET" : "POST", path);
      expect(res.status, path).toBe(404);
      expect((await fieldsOf(res)).code).toBe("burst_not_found");
    }
    expect((await admin("GET", `/tenants/${t}/bursts/not-an-id`)).status).toBe(400);
  });

  it("a tenant admin closes a pool; closing twice is 409; each change is audited", async () => {
    const { t, adminKey } = await tenantWithAdmin();
    const asked = (await postBurst(t, { scope: "user:ann", amountUsd: 3 }, adminKey)).body.id;
    expect((await admin("POST", `/tenants/${t}/bursts/${asked}/approve`)).status).toBe(200);
    const closed = await admin("POST", `/tenants/${t}/bursts/${asked}/close`, undefined, adminKey);
    expect(closed.status).toBe(200);
    expect(await closed.json()).toMatchObject({ state: "closed", closedBy: expect.stringMatching(/^key:key_/) });
    expect((await admin("POST", `/tenants/${t}/bursts/${asked}/close`)).status).toBe(409);
    // A closed pool cannot be approved back.
    expect((await admin("POST", `/tenants/${t}/bursts/${asked}/approve`)).status).toBe(409);

    const audit = (await (await admin("GET", `/tenants/${t}/audit`)).json()) as {
      entries: { action: string; target: string; actor: string; after: { state: string } }[];
    };
    const mine = audit.entries.filter((e) => e.target === asked).reverse();
    expect(mine.map((e) => [e.action, e.after.state])).toEqual([
      ["burst.create", "pending"],
      ["burst.approve", "active"],
      ["burst.close", "closed"],
    ]);
    expect(mine.map((e) => e.actor)).toEqual([expect.stringMatching(/^key:/), "operator", expect.stringMatching(/^key:/)]);
  });
});

describe("the OpenAPI document", () => {
  it("lists every burst route with its operationId", async () => {
    const doc = (await (await call("/admin/v1/openapi.json")).json()) as { paths: Record<string, Record<string, { operationId?: string }>> };
    const ids = (path: string) => Object.values(doc.paths[path] ?? {}).map((o) => o.operationId);
    expect(ids("/tenants/{t}/bursts").sort()).toEqual(["createBurst", "listBursts"]);
    expect(ids("/tenants/{t}/bursts/{id}")).toEqual(["getBurst"]);
    expect(ids("/tenants/{t}/bursts/{id}/approve")).toEqual(["approveBurst"]);
    expect(ids("/tenants/{t}/bursts/{id}/close")).toEqual(["closeBurst"]);
  });
});
