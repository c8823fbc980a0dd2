/** Guard keys: issue (plaintext shown once), list (never secrets), revoke (effective on the next request). */
import { createRoute, z } from "@hono/zod-openapi";
import { ApiError } from "../errors";
import { adminApp } from "./app";
import { actorName, adminAuth } from "./auth";
import { createKeySchema, createdKeySchema, errorResponses, keyInfoSchema, keyParams, tenantParams } from "./schemas";
import { tenantNotFound } from "./tenants";

const createKey = createRoute({
  method: "post",
  path: "/tenants/{t}/keys",
  operationId: "createKey",
  summary: "Issue a guard key (the plaintext is in this response only)",
  middleware: [adminAuth()] as const,
  request: { params: tenantParams, body: { required: true, content: { "application/json": { schema: createKeySchema } } } },
  responses: { 201: { description: "The new key", content: { "application/json": { schema: createdKeySchema } } }, ...errorResponses },
});

const listKeys = createRoute({
  method: "get",
  path: "/tenants/{t}/keys",
  operationId: "listKeys",
  summary: "List the tenant's keys (never the key nor its hash)",
  middleware: [adminAuth()] as const,
  request: { params: tenantParams },
  responses: {
    200: { description: "The keys", content: { "application/json": { schema: z.object({ keys: z.array(keyInfoSchema) }) } } },
    ...errorResponses,
  },
});

const revokeKey = createRoute({
  method: "delete",
  path: "/tenants/{t}/keys/{id}",
  operationId: "revokeKey",
  summary: "Revoke a key; the very next request with it is refused",
  middleware: [adminAuth()] as const,
  request: { params: keyParams },
  responses: { 200: { description: "The revoked key", content: { "application/json": { schema: keyInfoSchema } } }, ...errorResponses },
});

/** The key routes. */
export const keyRoutes = adminApp()
  .openapi(createKey, async (c) => {
    const { t } = c.req.valid("param");
    const body = c.req.valid("json");
    const created = await c.env.TENANT_LEDGER.getByName(t).createKey(
      {
        name: body.name,
        role: body.role,
        userId: body.userId,
        feature: body.feature,
        expiresAt: body.expiresAt ? Date.parse(body.expiresAt) : undefined,
      },
      actorName(c.get("actor")),
    );
    if (!created) throw tenantNotFound(t);
    return c.json(created, 201);
  })
  .openapi(listKeys, async (c) => {
    const { t } = c.req.valid("param");
    const stub = c.env.TENANT_LEDGER.getByName(t);
    if (!(await stub.getTenant())) throw tenantNotFound(t);
    return c.json({ keys: await stub.listKeys() }, 200);
  })
  .openapi(revokeKey, async (c) => {
    const { t, id } = c.req.valid("param");
    const revoked = await c.env.TENANT_LEDGER.getByName(t).revokeKey(id, actorName(c.get("actor")));
    if (!revoked) throw new ApiError(404, `Key ${id} not found.`, { code: "key_not_found" });
    return c.json(revoked, 200);
  });
