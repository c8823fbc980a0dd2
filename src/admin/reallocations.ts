/**
 * Reallocation requests: ask to move part of this month's limit from one
 * user/feature scope to another (`pending`), then approve (applied at once,
 * atomically with the check that `from` still covers its spend) or reject —
 * by the operator or an admin key other than the requester's. Audited.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { decisionInputSchema, reallocationInputSchema } from "../budget/reallocation";
import { tenantIdSchema } from "../budget/tenant-config";
import { ApiError } from "../errors";
import type { Outcome, Reallocation } from "../ledger/reallocations";
import { adminApp } from "./app";
import { actorName, adminAuth } from "./auth";
import { errorResponses, errorSchema, tenantParams } from "./schemas";
import { tenantNotFound } from "./tenants";

// The domain schemas are used as they are (not `.openapi(name)`): they may be built before zod is extended.
const requestSchema = reallocationInputSchema;
const decisionSchema = decisionInputSchema;

const limitChange = z.object({ limitUsd: z.number(), newLimitUsd: z.number() });

/** A reallocation request as returned. */
export const reallocationSchema = z
  .object({
    id: z.string(),
    from: z.string(),
    to: z.string(),
    amountUsd: z.number(),
    reason: z.string(),
    month: z.string().describe("YYYY-MM in the tenant's time zone: the month whose limits move"),
    state: z.enum(["pending", "applied", "rejected"]),
    requestedBy: z.string().describe("operator or key:<id>"),
    requestedAt: z.string(),
    decidedBy: z.string().nullable(),
    decidedAt: z.string().nullable(),
    decisionReason: z.string().nullable(),
    applied: z.object({ from: limitChange, to: limitChange }).nullable().describe("Both monthly limits before and after, once applied"),
  })
  .openapi("Reallocation");

/** A review line's suggestion: the action and, for "Request +$X", the body that would satisfy it (null when no source can give X). */
export const suggestionSchema = z
  .object({ action: z.string(), reallocation: reallocationInputSchema.nullable() })
  .openapi("ReviewSuggestion");

/** The review's reallocation part: open requests of the month and sources under 50% utilization. */
export const reviewReallocationsSchema = z
  .object({
    open: z.array(reallocationSchema),
    sources: z.array(
      z
        .object({
          scope: z.string(),
          limitUsd: z.number(),
          usedUsd: z.number().describe("spent + reserved this month"),
          utilization: z.number(),
          canGiveUsd: z.number().describe("most it can give and stay at or under 50% of its reduced limit, less pending requests from it"),
        })
        .openapi("ReallocationSource"),
    ),
  })
  .openapi("ReviewReallocations");

const idParams = z.object({ t: tenantIdSchema, id: z.string().min(1).max(100) });
const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { "application/json": { schema } } });
const conflict = {
  409: json(errorSchema, "Not pending, the month ended, a scope has no monthly limit, or `from` lacks the room (figures in details)"),
};

const create = createRoute({
  method: "post",
  path: "/tenants/{t}/reallocations",
  operationId: "createReallocation",
  summary: "Ask to move part of this month's limit from one user/feature scope to another (pending until approved)",
  middleware: [adminAuth()] as const,
  request: { params: tenantParams, body: { required: true, content: { "application/json": { schema: requestSchema } } } },
  responses: { 201: json(reallocationSchema, "The request, pending"), ...errorResponses, ...conflict },
});

const list = createRoute({
  method: "get",
  path: "/tenants/{t}/reallocations",
  operationId: "listReallocations",
  summary: "Reallocation requests, newest first, optionally of one state",
  middleware: [adminAuth()] as const,
  request: {
    params: tenantParams,
    query: z.object({
      state: z.enum(["pending", "applied", "rejected"]).optional(),
      limit: z.coerce.number().int().min(1).max(1000).default(100),
    }),
  },
  responses: { 200: json(z.object({ reallocations: z.array(reallocationSchema) }), "The requests"), ...errorResponses },
});

const get = createRoute({
  method: "get",
  path: "/tenants/{t}/reallocations/{id}",
  operationId: "getReallocation",
  summary: "One reallocation request",
  middleware: [adminAuth()] as const,
  request: { params: idParams },
  responses: { 200: json(reallocationSchema, "The request"), ...errorResponses },
});

const decide = <A extends "approve" | "reject">(action: A) =>
  createRoute({
    method: "post",
    path: `/tenants/{t}/reallocations/{id}/${action}` as `/tenants/{t}/reallocations/{id}/${A}`,
    operationId: `${action}Reallocation`,
    summary:
      action === "approve"
        ? "Approve and apply a pending request: both monthly limits move at once (operator or another admin key, never the requester's)"
        : "Reject a pending request (operator or another admin key, never the requester's)",
    middleware: [adminAuth()] as const,
    request: { params: idParams, body: { required: false, content: { "application/json": { schema: decisionSchema } } } },
    responses: {
      200: json(reallocationSchema, action === "approve" ? "The request, applied" : "The request, rejected"),
      ...errorResponses,
      ...conflict,
    },
  });

function unwrap(t: string, out: Outcome | null): Reallocation {
  if (!out) throw tenantNotFound(t);
  if ("fail" in out) throw new ApiError(out.fail.status, out.fail.message, { code: out.fail.code, details: out.fail.details });
  return out.ok;
}

/** The reallocation routes. */
export const reallocationRoutes = adminApp()
  .openapi(create, async (c) => {
    const { t } = c.req.valid("param");
    const out = await c.env.TENANT_LEDGER.getByName(t).requestReallocation(c.req.valid("json"), actorName(c.get("actor")));
    return c.json(unwrap(t, out), 201);
  })
  .openapi(list, async (c) => {
    const { t } = c.req.valid("param");
    const { state, limit } = c.req.valid("query");
    const found = await c.env.TENANT_LEDGER.getByName(t).listReallocations(state, limit);
    if (!found) throw tenantNotFound(t);
    return c.json({ reallocations: found }, 200);
  })
  .openapi(get, async (c) => {
    const { t, id } = c.req.valid("param");
    return c.json(unwrap(t, await c.env.TENANT_LEDGER.getByName(t).getReallocation(id)), 200);
  })
  .openapi(decide("approve"), async (c) => {
    const { t, id } = c.req.valid("param");
    const { reason } = c.req.valid("json");
    const out = await c.env.TENANT_LEDGER.getByName(t).decideReallocation(id, "approve", actorName(c.get("actor")), reason);
    return c.json(unwrap(t, out), 200);
  })
  .openapi(decide("reject"), async (c) => {
    const { t, id } = c.req.valid("param");
    const { reason } = c.req.valid("json");
    const out = await c.env.TENANT_LEDGER.getByName(t).decideReallocation(id, "reject", actorName(c.get("actor")), reason);
    return c.json(unwrap(t, out), 200);
  });
