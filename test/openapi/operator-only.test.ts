/**
 * The admin document's security says which operations a tenant admin key may
 * call: operator-only ones declare `security: OPERATOR_ONLY`, the rest inherit
 * both schemes. The middleware decides for real, so every documented
 * operation is called with a tenant admin key and the two must agree (and
 * every documented path must be a route the worker serves).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { OPERATOR_ONLY } from "../../src/openapi/security";
import { call, createKey, createTenant } from "../helpers/guard";
import { fetchDocument, operations } from "../helpers/openapi";

describe("operator-only operations in the admin document", () => {
  let tenant: string;
  let key: string;
  beforeAll(async () => {
    tenant = await createTenant({ name: "OpenAPI security check" });
    key = await createKey(tenant, { name: "admin", role: "admin" });
  });

  it("are exactly those that refuse a tenant admin key", async () => {
    const doc = await fetchDocument("/admin/v1/openapi.json");
    const mismatches: string[] = [];
    for (const op of operations(doc)) {
      const path = op.path.replace("{t}", tenant).replace(/\{[^}]+\}/g, "x");
      const hasBody = !["get", "delete"].includes(op.method);
      const res = await call(`/admin/v1${path}`, {
        method: op.method.toUpperCase(),
        headers: { authorization: `Bearer ${key}`, ...(hasBody ? { "content-type": "application/json" } : {}) },
        body: hasBody ? "{}" : undefined,
      });
      const body = (await res.json().catch(() => ({}))) as { error?: { code?: string; message?: string } };
      const at = `${op.method.toUpperCase()} ${op.path}`;
      if (body.error?.code === "unknown_route") mismatches.push(`${at}: documented but not served`);
      const refused = res.status === 403 && /only the operator/i.test(body.error?.message ?? "");
      const documented = JSON.stringify(op.security) === JSON.stringify(OPERATOR_ONLY);
      if (refused && !documented)
        mismatches.push(`${at}: operator-only, but its createRoute lacks \`security: OPERATOR_ONLY\` (src/openapi/security.ts)`);
      if (documented && !refused)
        mismatches.push(`${at}: documents operator-only (\`security: OPERATOR_ONLY\`) but accepts a tenant admin key`);
    }
    expect(mismatches).toEqual([]);
  });
});
