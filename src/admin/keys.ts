/** `POST /tenants/{t}/keys`: issue a guard key, shown once. */
import { createRoute } from "@hono/zod-openapi";
import { adminApp } from "./app";
import { adminAuth } from "./auth";
import { createKeySchema, createdKeySchema, errorResponses, tenantParams } from "./schemas";
import { tenantNotFound } from "./tenants";

const createKey = createRoute({
  method: "post",
  path: "/tenants/{t}/keys",
  summary: "Issue a guard key (the plaintext is in this response only)",
  middleware: [adminAuth()] as const,
  request: { params: tenantParams, body: { required: true, content: { "application/json": { schema: createKeySchema } } } },
  responses: { 201: { description: "The new key", content: { "application/json": { schema: createdKeySchema } } }, ...errorResponses },
});

/** The key routes. */
export const keyRoutes = adminApp().openapi(createKey, async (c) => {
  const { t } = c.req.valid("param");
  const body = c.req.valid("json");
  const created = await c.env.TENANT_LEDGER.getByName(t).createKey({
    name: body.name,
    role: body.role,
    userId: body.userId,
    feature: body.feature,
    expiresAt: body.expiresAt ? Date.parse(body.expiresAt) : undefined,
  });
  if (!created) throw tenantNotFound(t);
  return c.json(created, 201);
});
