/**
 * Tenants: `PUT` creates or replaces (operator), `PATCH` merges (a tenant
 * admin only the fields that cannot loosen the operator's control), `GET`,
 * `DELETE` (operator) and the operator's `GET /tenants` from the directory.
 */
import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import type { TenantInput } from "../budget/tenant-config";
import { DIRECTORY_NAME } from "../directory/tenant-directory";
import { webhookUrlProblem } from "../alerts/webhook-url";
import { ApiError } from "../errors";
import { OPERATOR_ONLY } from "../openapi/security";
import { adminApp } from "./app";
import { actorName, adminAuth } from "./auth";
import { errorResponses, tenantInputSchema, tenantParams, tenantSchema } from "./schemas";

const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { "application/json": { schema } } });

/** Not found, without saying whether the tenant ever existed. */
export const tenantNotFound = (t: string) => new ApiError(404, `Tenant ${t} not found.`, { code: "tenant_not_found" });

/** Fields a tenant admin may change: none of them can raise the tenant's spend past what the operator set. */
export const TENANT_ADMIN_FIELDS: ReadonlySet<string> = new Set([
  "tiers",
  "userDefaults",
  "degrade",
  "minOutputTokens",
  "onHardLimit",
  "upgradeMessage",
  "alertWebhook",
]);

/** Refuses webhook URLs that could reach private networks (https to a public host when deployed). */
function checkWebhook(c: Context<AppEnv>, input: TenantInput): void {
  if (!input.alertWebhook) return;
  const problem = webhookUrlProblem(input.alertWebhook, c.get("config").ENVIRONMENT);
  if (problem) {
    throw new ApiError(400, `Invalid request: alertWebhook: ${problem}`, {
      code: "validation_failed",
      details: [{ field: "alertWebhook", message: problem }],
    });
  }
}

function directory(c: Context<AppEnv>) {
  return c.env.TENANT_DIRECTORY.getByName(DIRECTORY_NAME);
}

const putTenant = createRoute({
  method: "put",
  path: "/tenants/{t}",
  operationId: "putTenant",
  security: OPERATOR_ONLY,
  summary: "Create or replace a tenant (operator); absent fields take their defaults",
  middleware: [adminAuth({ operatorOnly: true })] as const,
  request: { params: tenantParams, body: { required: true, content: { "application/json": { schema: tenantInputSchema } } } },
  responses: { 200: json(tenantSchema, "The tenant, replaced"), 201: json(tenantSchema, "The tenant, created"), ...errorResponses },
});

const patchTenant = createRoute({
  method: "patch",
  path: "/tenants/{t}",
  operationId: "patchTenant",
  summary:
    "Merge fields into a tenant; a tenant admin may change only tiers, userDefaults, degrade, minOutputTokens, onHardLimit, upgradeMessage, alertWebhook",
  middleware: [adminAuth()] as const,
  request: { params: tenantParams, body: { required: true, content: { "application/json": { schema: tenantInputSchema } } } },
  responses: { 200: json(tenantSchema, "The tenant"), ...errorResponses },
});

const getTenant = createRoute({
  method: "get",
  path: "/tenants/{t}",
  operationId: "getTenant",
  summary: "Read a tenant's configuration",
  middleware: [adminAuth()] as const,
  request: { params: tenantParams },
  responses: { 200: json(tenantSchema, "The tenant"), ...errorResponses },
});

const deleteTenant = createRoute({
  method: "delete",
  path: "/tenants/{t}",
  operationId: "deleteTenant",
  security: OPERATOR_ONLY,
  summary: "Delete a tenant, its keys (at once) and its data (operator)",
  middleware: [adminAuth({ operatorOnly: true })] as const,
  request: { params: tenantParams },
  responses: { 200: json(z.object({ id: z.string(), deleted: z.literal(true) }), "Deleted"), ...errorResponses },
});

const listTenants = createRoute({
  method: "get",
  path: "/tenants",
  operationId: "listTenants",
  security: OPERATOR_ONLY,
  summary: "List tenants (operator), ordered by id, paged with `after`",
  middleware: [adminAuth({ operatorOnly: true })] as const,
  request: {
    query: z.object({
      after: z.string().max(64).optional(),
      limit: z.coerce.number().int().min(1).max(1000).default(100),
    }),
  },
  responses: {
    200: json(
      z
        .object({
          tenants: z.array(
            z
              .object({ id: z.string(), name: z.string(), timezone: z.string(), createdAt: z.string(), updatedAt: z.string() })
              .openapi("TenantSummary"),
          ),
          next: z.string().nullable(),
        })
        .openapi("TenantPage"),
      "A page of tenants",
    ),
    ...errorResponses,
  },
});

const unfreezeTenant = createRoute({
  method: "post",
  path: "/tenants/{t}/unfreeze",
  operationId: "unfreezeTenant",
  summary: "Lift a spend-spike freeze (onSpike: freeze)",
  middleware: [adminAuth()] as const,
  request: { params: tenantParams },
  responses: { 200: json(z.object({ id: z.string(), unfrozen: z.boolean() }), "Whether a freeze was lifted"), ...errorResponses },
});

/** The tenant routes. */
export const tenantRoutes = adminApp()
  .openapi(putTenant, async (c) => {
    const { t } = c.req.valid("param");
    const input = c.req.valid("json");
    checkWebhook(c, input);
    const saved = await c.env.TENANT_LEDGER.getByName(t).putTenant(t, input, actorName(c.get("actor")));
    await directory(c).upsert({ id: t, name: saved.config.name, timezone: saved.config.timezone });
    // The webhook signing secret appears once, in the response that created the tenant.
    const shown = saved.webhookSecret ? { webhookSecret: saved.webhookSecret } : {};
    return c.json({ id: saved.tenantId, ...saved.config, ...shown }, saved.created ? 201 : 200);
  })
  .openapi(patchTenant, async (c) => {
    const { t } = c.req.valid("param");
    const input: TenantInput = c.req.valid("json");
    const actor = c.get("actor");
    if (actor.kind === "tenant_admin") {
      const denied = Object.keys(input).filter((k) => !TENANT_ADMIN_FIELDS.has(k));
      if (denied.length > 0) {
        throw new ApiError(403, `A tenant admin may not change ${denied.join(", ")}; ask the operator.`, {
          code: "forbidden",
          details: denied.map((field) => ({ field, message: "operator only" })),
        });
      }
    }
    checkWebhook(c, input);
    const saved = await c.env.TENANT_LEDGER.getByName(t).patchTenant(input, actorName(actor));
    if (!saved) throw tenantNotFound(t);
    await directory(c).upsert({ id: t, name: saved.config.name, timezone: saved.config.timezone });
    return c.json({ id: saved.tenantId, ...saved.config }, 200);
  })
  .openapi(getTenant, async (c) => {
    const { t } = c.req.valid("param");
    const tenant = await c.env.TENANT_LEDGER.getByName(t).getTenant();
    if (!tenant) throw tenantNotFound(t);
    const frozen = tenant.frozen ? { frozenAt: new Date(tenant.frozen.at).toISOString(), frozenReason: tenant.frozen.reason } : {};
    return c.json({ id: tenant.tenantId, ...tenant.config, ...frozen }, 200);
  })
  .openapi(deleteTenant, async (c) => {
    const { t } = c.req.valid("param");
    const deleted = await c.env.TENANT_LEDGER.getByName(t).deleteTenant();
    await directory(c).remove(t);
    if (!deleted) throw tenantNotFound(t);
    return c.json({ id: t, deleted: true as const }, 200);
  })
  .openapi(unfreezeTenant, async (c) => {
    const { t } = c.req.valid("param");
    const stub = c.env.TENANT_LEDGER.getByName(t);
    if (!(await stub.getTenant())) throw tenantNotFound(t);
    return c.json({ id: t, unfrozen: await stub.unfreeze(actorName(c.get("actor"))) }, 200);
  })
  .openapi(listTenants, async (c) => {
    const { after, limit } = c.req.valid("query");
    return c.json(await directory(c).list(after ?? null, limit), 200);
  });
