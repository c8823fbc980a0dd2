/**
 * `GET /tenants/{t}/windows`: every scope window of a tenant now — the
 * tenant, its features and its biggest spenders this month — with limit,
 * spent, reserved, remaining and reset, as `GET /v1/budget` reports a
 * caller's own (the dashboard's gauges).
 */
import { createRoute, z } from "@hono/zod-openapi";
import { toUsd } from "../budget/limits";
import { isoSeconds } from "../budget/windows";
import { adminApp } from "./app";
import { adminAuth } from "./auth";
import { errorResponses, tenantParams } from "./schemas";
import { tenantNotFound } from "./tenants";

const windowLine = z
  .object({
    scope: z.enum(["tenant", "feature", "user"]),
    id: z.string(),
    window: z.enum(["daily", "monthly"]),
    period: z.string().describe("YYYY-MM-DD or YYYY-MM in the tenant's time zone"),
    limitUsd: z.number().nullable(),
    spentUsd: z.number(),
    reservedUsd: z.number().describe("held by calls in flight and edge allowances"),
    remainingUsd: z.number().nullable(),
    utilization: z.number().nullable().describe("(spent + reserved) / limit"),
    resetsAt: z.string(),
  })
  .openapi("ScopeWindow");

const windows = createRoute({
  method: "get",
  path: "/tenants/{t}/windows",
  operationId: "getScopeWindows",
  summary: "Every scope window now (tenant, features, the top users by this month's spend): limit, spent, reserved, remaining, reset",
  middleware: [adminAuth()] as const,
  request: {
    params: tenantParams,
    query: z.object({ users: z.coerce.number().int().min(0).max(100).default(10).describe("how many top users to include") }),
  },
  responses: {
    200: {
      description: "The scope windows",
      content: {
        "application/json": {
          schema: z.object({ timezone: z.string(), windows: z.array(windowLine) }).openapi("ScopeWindows"),
        },
      },
    },
    ...errorResponses,
  },
});

/** The scope-windows route. */
export const windowRoutes = adminApp().openapi(windows, async (c) => {
  const { t } = c.req.valid("param");
  const res = await c.env.TENANT_LEDGER.getByName(t).scopeWindows(c.req.valid("query").users);
  if (!res) throw tenantNotFound(t);
  return c.json(
    {
      timezone: res.timezone,
      windows: res.lines.map((l) => ({
        scope: l.scope,
        id: l.id || t,
        window: l.window,
        period: l.windowKey.replace(/^(day|month):/, ""),
        limitUsd: l.limit === null ? null : toUsd(l.limit),
        spentUsd: toUsd(l.spent),
        reservedUsd: toUsd(l.reserved),
        remainingUsd: l.limit === null ? null : toUsd(Math.max(0, l.limit - l.spent - l.reserved)),
        utilization: l.limit ? Math.round(((l.spent + l.reserved) / l.limit) * 10_000) / 10_000 : null,
        resetsAt: isoSeconds(l.resetAt),
      })),
    },
    200,
  );
});
