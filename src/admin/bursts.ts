/**
 * Burst pools: a secondary pool of approved one-off spending for one scope
 * (tenant, a user, a feature). A tenant admin asks (`pending`), the operator
 * creates (`active`) or approves; either closes it. A call that does not fit
 * the scope's hard limit draws only the excess from an active pool
 * (`X-Budget-Burst`). `GET …/bursts/{id}` is the post-spend analysis. Audited.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { toMicros } from "../budget/limits";
import { tenantIdSchema } from "../budget/tenant-config";
import { ApiError } from "../errors";
import type { BurstRefusal } from "../ledger/bursts";
import { OPERATOR_ONLY } from "../openapi/security";
import { adminApp } from "./app";
import { actorName, adminAuth } from "./auth";
import { errorResponses, errorSchema, tenantParams } from "./schemas";
import { tenantNotFound } from "./tenants";

/** A pool's scope as written: the same string is the scope's counter key. */
const BURST_SCOPE = /^(tenant|(user|feature):[A-Za-z0-9._@-]{1,128})$/;

const usd = z.number().finite().min(0.000001, "must be a positive amount of at least $0.000001").max(1_000_000_000);

/** `POST /tenants/{t}/bursts` body. */
export const burstInputSchema = z
  .object({
    scope: z
      .string()
      .regex(BURST_SCOPE, "scope is tenant, user:<id> or feature:<id>, ids 1-128 characters of letters, digits and . _ - @"),
    amountUsd: usd.describe("The pool's size in USD"),
    reason: z.string().min(1, "reason is required").max(500),
    expiresAt: z.iso
      .datetime({ offset: true })
      .refine((s) => Date.parse(s) > Date.now(), "expiresAt must be in the future")
      .describe("ISO 8601; no draws after it"),
    maxPerRequestUsd: usd.optional().describe("The most one call may draw; default: no cap below the pool's remaining"),
  })
  .strict()
  .refine((b) => b.maxPerRequestUsd === undefined || b.maxPerRequestUsd <= b.amountUsd, {
    message: "maxPerRequestUsd must not exceed amountUsd",
    path: ["maxPerRequestUsd"],
  })
  .openapi("BurstRequest");

const state = z.enum(["pending", "active", "closed", "expired", "exhausted"]);

/** A pool as returned. */
export const burstSchema = z
  .object({
    id: z.string(),
    scope: z.string(),
    state: state.describe("expired and exhausted are derived: past expiresAt, or nothing left"),
    amountUsd: z.number(),
    maxPerRequestUsd: z.number().nullable(),
    reason: z.string(),
    expiresAt: z.string(),
    requestedBy: z.string().describe("operator or key:<id>"),
    createdAt: z.string(),
    approvedBy: z.string().nullable(),
    approvedAt: z.string().nullable(),
    closedBy: z.string().nullable(),
    closedAt: z.string().nullable(),
    spentUsd: z.number().describe("what settled calls drew"),
    reservedUsd: z.number().describe("what calls in flight hold"),
    remainingUsd: z.number(),
  })
  .openapi("BurstPool");

const group = (name: string) => z.object({ [name]: z.string(), spentUsd: z.number(), requests: z.number() });

/** The post-spend analysis. */
export const burstAnalysisSchema = burstSchema
  .extend({
    requests: z.number().describe("settled calls the pool funded part of"),
    topUsers: z.array(group("userId")),
    topFeatures: z.array(group("feature")),
    topModels: z.array(group("model")),
    daysActive: z.number().describe("local days with a settled draw"),
    firstDrawAt: z.string().nullable(),
    lastDrawAt: z.string().nullable(),
  })
  .openapi("BurstAnalysis");

const idParams = z.object({ t: tenantIdSchema, id: z.string().regex(/^bp_[A-Za-z0-9]{16}$/, "not a burst pool id") });
const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { "application/json": { schema } } });

const create = createRoute({
  method: "post",
  path: "/tenants/{t}/bursts",
  operationId: "createBurst",
  summary: "Create a burst pool for a scope: active when the operator creates it, pending when a tenant admin asks",
  middleware: [adminAuth()] as const,
  request: { params: tenantParams, body: { required: true, content: { "application/json": { schema: burstInputSchema } } } },
  responses: { 201: json(burstSchema, "The pool"), ...errorResponses },
});

const list = createRoute({
  method: "get",
  path: "/tenants/{t}/bursts",
  operationId: "listBursts",
  summary: "Every burst pool of the tenant, newest first, with state and remaining",
  middleware: [adminAuth()] as const,
  request: { params: tenantParams },
  responses: { 200: json(z.object({ bursts: z.array(burstSchema) }), "The pools"), ...errorResponses },
});

const get = createRoute({
  method: "get",
  path: "/tenants/{t}/bursts/{id}",
  operationId: "getBurst",
  summary: "A burst pool's post-spend analysis: spent, reserved, remaining, requests, top users, features and models, days active",
  middleware: [adminAuth()] as const,
  request: { params: idParams },
  responses: { 200: json(burstAnalysisSchema, "The analysis"), ...errorResponses },
});

const approve = createRoute({
  method: "post",
  path: "/tenants/{t}/bursts/{id}/approve",
  operationId: "approveBurst",
  summary: "Approve a pending burst pool (operator only): it becomes active",
  security: OPERATOR_ONLY,
  middleware: [adminAuth({ operatorOnly: true })] as const,
  request: { params: idParams },
  responses: { 200: json(burstSchema, "The pool, active"), ...errorResponses, 409: json(errorSchema, "Not pending (or expired)") },
});

const close = createRoute({
  method: "post",
  path: "/tenants/{t}/bursts/{id}/close",
  operationId: "closeBurst",
  summary: "Close a burst pool: no further draws; what was drawn stays spent",
  middleware: [adminAuth()] as const,
  request: { params: idParams },
  responses: { 200: json(burstSchema, "The pool, closed"), ...errorResponses, 409: json(errorSchema, "Already closed") },
});

function refused(r: BurstRefusal, t: string, id: string, scope?: string): ApiError {
  switch (r.error) {
    case "tenant_not_found":
      return tenantNotFound(t);
    case "scope_not_found":
      return new ApiError(404, `scope: ${scope ?? ""} is not declared in tenant ${t} (PUT the user or feature, or bind a key to the user).`, {
        code: "scope_not_found",
        details: [{ field: "scope", message: "not declared" }],
      });
    case "not_found":
      return new ApiError(404, `Burst pool ${id} not found.`, { code: "burst_not_found" });
    case "not_pending":
      return new ApiError(409, `Burst pool ${id} is not pending (only a pending, unexpired pool can be approved).`, { code: "burst_not_pending" });
    case "closed":
      return new ApiError(409, `Burst pool ${id} is already closed.`, { code: "burst_closed" });
  }
}

/** The burst pool routes. */
export const burstRoutes = adminApp()
  .openapi(create, async (c) => {
    const { t } = c.req.valid("param");
    const b = c.req.valid("json");
    const actor = c.get("actor");
    const out = await c.env.TENANT_LEDGER.getByName(t).createBurst(
      {
        scope: b.scope,
        amount: toMicros(b.amountUsd),
        maxPerRequest: b.maxPerRequestUsd === undefined ? null : toMicros(b.maxPerRequestUsd),
        reason: b.reason,
        expiresAt: Date.parse(b.expiresAt),
      },
      actorName(actor),
      actor.kind === "operator",
    );
    if ("error" in out) throw refused(out, t, "", b.scope);
    return c.json(out, 201);
  })
  .openapi(list, async (c) => {
    const { t } = c.req.valid("param");
    const bursts = await c.env.TENANT_LEDGER.getByName(t).listBursts();
    if (!bursts) throw tenantNotFound(t);
    return c.json({ bursts }, 200);
  })
  .openapi(get, async (c) => {
    const { t, id } = c.req.valid("param");
    const out = await c.env.TENANT_LEDGER.getByName(t).burstAnalysis(id);
    if ("error" in out) throw refused(out, t, id);
    return c.json(out, 200);
  })
  .openapi(approve, async (c) => {
    const { t, id } = c.req.valid("param");
    const out = await c.env.TENANT_LEDGER.getByName(t).approveBurst(id, actorName(c.get("actor")));
    if ("error" in out) throw refused(out, t, id);
    return c.json(out, 200);
  })
  .openapi(close, async (c) => {
    const { t, id } = c.req.valid("param");
    const out = await c.env.TENANT_LEDGER.getByName(t).closeBurst(id, actorName(c.get("actor")));
    if ("error" in out) throw refused(out, t, id);
    return c.json(out, 200);
  });
