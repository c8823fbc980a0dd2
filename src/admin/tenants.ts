/** `PUT /tenants/{t}` (operator: create or replace) and `GET /tenants/{t}`. */
import { createRoute, z } from "@hono/zod-openapi";
import { ApiError } from "../errors";
import { adminApp } from "./app";
import { adminAuth } from "./auth";
import { errorResponses, tenantInputSchema, tenantParams, tenantSchema } from "./schemas";

const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { "application/json": { schema } } });

/** Not found, without saying whether the tenant ever existed. */
export const tenantNotFound = (t: string) => new ApiError(404, `Tenant ${t} not found.`, { code: "tenant_not_found" });

const putTenant = createRoute({
  method: "put",
  path: "/tenants/{t}",
  summary: "Create or replace a tenant (operator); absent fields take their defaults",
  middleware: [adminAuth({ operatorOnly: true })] as const,
  request: { params: tenantParams, body: { required: true, content: { "application/json": { schema: tenantInputSchema } } } },
  responses: { 200: json(tenantSchema, "The tenant, replaced"), 201: json(tenantSchema, "The tenant, created"), ...errorResponses },
});

const getTenant = createRoute({
  method: "get",
  path: "/tenants/{t}",
  summary: "Read a tenant's configuration",
  middleware: [adminAuth()] as const,
  request: { params: tenantParams },
  responses: { 200: json(tenantSchema, "The tenant"), ...errorResponses },
});

/** The tenant routes. */
export const tenantRoutes = adminApp()
  .openapi(putTenant, async (c) => {
    const { t } = c.req.valid("param");
    const saved = await c.env.TENANT_LEDGER.getByName(t).putTenant(t, c.req.valid("json"));
    return c.json({ id: saved.tenantId, ...saved.config }, saved.created ? 201 : 200);
  })
  .openapi(getTenant, async (c) => {
    const { t } = c.req.valid("param");
    const tenant = await c.env.TENANT_LEDGER.getByName(t).getTenant();
    if (!tenant) throw tenantNotFound(t);
    return c.json({ id: tenant.tenantId, ...tenant.config }, 200);
  });
