/** `PUT /tenants/{t}/users/{u}` and `PUT /tenants/{t}/features/{f}`: per-user and per-feature limits. */
import { createRoute, z } from "@hono/zod-openapi";
import { adminApp } from "./app";
import { actorName, adminAuth } from "./auth";
import { errorResponses, featureInputSchema, featureParams, userInputSchema, userParams } from "./schemas";
import { tenantNotFound } from "./tenants";

const putUser = createRoute({
  method: "put",
  path: "/tenants/{t}/users/{u}",
  operationId: "putUser",
  summary: "Set a user's tier, limit overrides and per-feature limits",
  middleware: [adminAuth()] as const,
  request: { params: userParams, body: { required: true, content: { "application/json": { schema: userInputSchema } } } },
  responses: {
    200: { description: "The user", content: { "application/json": { schema: z.looseObject({ userId: z.string() }) } } },
    ...errorResponses,
  },
});

const putFeature = createRoute({
  method: "put",
  path: "/tenants/{t}/features/{f}",
  operationId: "putFeature",
  summary: "Set a feature's limits",
  middleware: [adminAuth()] as const,
  request: { params: featureParams, body: { required: true, content: { "application/json": { schema: featureInputSchema } } } },
  responses: {
    200: { description: "The feature", content: { "application/json": { schema: z.looseObject({ feature: z.string() }) } } },
    ...errorResponses,
  },
});

/** The user and feature routes. */
export const subjectRoutes = adminApp()
  .openapi(putUser, async (c) => {
    const { t, u } = c.req.valid("param");
    const saved = await c.env.TENANT_LEDGER.getByName(t).putUser(u, c.req.valid("json"), actorName(c.get("actor")));
    if (!saved) throw tenantNotFound(t);
    return c.json({ userId: u, ...saved }, 200);
  })
  .openapi(putFeature, async (c) => {
    const { t, f } = c.req.valid("param");
    const saved = await c.env.TENANT_LEDGER.getByName(t).putFeature(f, c.req.valid("json"), actorName(c.get("actor")));
    if (!saved) throw tenantNotFound(t);
    return c.json({ feature: f, ...saved }, 200);
  });
