/** `GET /global` and `PUT /global` (operator): the whole-account cap, its spend and the leases out. */
import { createRoute, z } from "@hono/zod-openapi";
import { GLOBAL_NAME } from "../global/global-ledger";
import type { GlobalStatus } from "../global/types";
import { OPERATOR_ONLY } from "../openapi/security";
import { adminApp } from "./app";
import { adminAuth } from "./auth";
import { errorResponses, limitsSchema } from "./schemas";

const globalInput = z
  .object({
    limits: limitsSchema,
    /** The stop switch: true blocks all LLM traffic within a second. */
    blocked: z.boolean().optional(),
    leaseCapUsd: z.number().positive().max(1_000_000).optional(),
  })
  .strict()
  .openapi("GlobalInput");

const globalStatus = z
  .object({
    limits: z.object({ daily: z.number().nullable().optional(), monthly: z.number().nullable().optional() }),
    blocked: z.boolean(),
    leaseCapUsd: z.number(),
    daily: z.object({ window: z.string(), spentUsd: z.number(), outstandingUsd: z.number() }),
    monthly: z.object({ window: z.string(), spentUsd: z.number(), outstandingUsd: z.number() }),
    leases: z.array(z.object({ tenant: z.string(), grantedUsd: z.number(), expiresAt: z.string() })),
    calls: z.object({ acquire: z.number(), release: z.number(), revoke: z.number() }),
  })
  .openapi("GlobalStatus");

const json = { "application/json": { schema: globalStatus } };

const getGlobal = createRoute({
  method: "get",
  path: "/global",
  operationId: "getGlobal",
  security: OPERATOR_ONLY,
  summary: "Global limits, spend, outstanding leases and the tenants holding them (operator)",
  middleware: [adminAuth({ operatorOnly: true })] as const,
  responses: { 200: { description: "The global budget", content: json }, ...errorResponses },
});

const putGlobal = createRoute({
  method: "put",
  path: "/global",
  operationId: "putGlobal",
  security: OPERATOR_ONLY,
  summary: "Set the global limits (operator); every lease is revoked so the change applies at once",
  middleware: [adminAuth({ operatorOnly: true })] as const,
  request: { body: { required: true, content: { "application/json": { schema: globalInput } } } },
  responses: { 200: { description: "The global budget", content: json }, ...errorResponses },
});

const usd = (micros: number) => micros / 1_000_000;

/** The global routes. */
export const globalRoutes = adminApp()
  .openapi(getGlobal, async (c) => {
    const s = await c.env.GLOBAL_LEDGER.getByName(GLOBAL_NAME).status();
    return c.json(present(s), 200);
  })
  .openapi(putGlobal, async (c) => {
    const body = c.req.valid("json");
    const s = await c.env.GLOBAL_LEDGER.getByName(GLOBAL_NAME).configure({
      limits: body.limits,
      blocked: body.blocked ?? false,
      leaseCapUsd: body.leaseCapUsd ?? 10,
    });
    return c.json(present(s), 200);
  });

function present(s: GlobalStatus) {
  return {
    limits: s.limits,
    blocked: s.blocked,
    leaseCapUsd: s.leaseCapUsd,
    // Spend so far = what ended leases committed + what open leases' holders reported spending.
    daily: {
      window: s.daily.window,
      spentUsd: usd(s.daily.spentMicros + s.daily.inUseMicros),
      outstandingUsd: usd(s.daily.outstandingMicros),
    },
    monthly: {
      window: s.monthly.window,
      spentUsd: usd(s.monthly.spentMicros + s.monthly.inUseMicros),
      outstandingUsd: usd(s.monthly.outstandingMicros),
    },
    leases: s.leases.map((l) => ({ tenant: l.tenant, grantedUsd: usd(l.grantedMicros), expiresAt: l.expiresAt })),
    calls: s.calls,
  };
}
