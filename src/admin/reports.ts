/**
 * Reports: usage per user, feature or model (JSON, or CSV for chargeback),
 * the monthly review per feature, the alert outbox and the audit log.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { toCsv } from "../ledger/reports";
import { adminApp } from "./app";
import { adminAuth } from "./auth";
import { reviewReallocationsSchema, suggestionSchema } from "./reallocations";
import { errorResponses, tenantParams } from "./schemas";
import { tenantNotFound } from "./tenants";

const DAY = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;
const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;

const usageQuery = z
  .object({
    period: z.enum(["day", "month"]).default("day"),
    at: z.string().optional().describe("YYYY-MM-DD for a day, YYYY-MM for a month; default: the current one in the tenant's time zone"),
    groupBy: z.enum(["user", "feature", "model"]).default("user"),
  })
  .refine((q) => q.at === undefined || (q.period === "day" ? DAY : MONTH).test(q.at), {
    message: "at must be YYYY-MM-DD for period=day and YYYY-MM for period=month",
    path: ["at"],
  });

const usageLine = z
  .object({
    group: z.string(),
    spendUsd: z.number(),
    limitUsd: z.number().nullable(),
    remainingUsd: z.number().nullable(),
    utilization: z.number().nullable(),
    requests: z.number(),
    listUsd: z.number().optional().describe("Spend at the list price, when a committed-use discount applies (spendUsd is net of it)"),
  })
  .openapi("UsageLine");

/** The committed-use discount's month (src/budget/commitment.ts); null when the tenant has none. */
const commitmentBlock = z
  .object({
    committedUsd: z.number(),
    listUsd: z.number(),
    netUsd: z.number(),
    savingsUsd: z.number(),
    utilization: z.number().describe("netUsd / committedUsd"),
    projectedUsd: z.number().describe("Month-end net at the month-to-date pace (linear; the spend itself for a closed month)"),
    projectedShortfallUsd: z.number().describe("max(0, committedUsd - projectedUsd)"),
  })
  .openapi("CommitmentMonth");

const usage = createRoute({
  method: "get",
  path: "/tenants/{t}/usage",
  operationId: "getUsage",
  summary: "Spend, limit, remaining, utilization and requests per user, feature or model; `Accept: text/csv` for the chargeback export",
  middleware: [adminAuth()] as const,
  request: { params: tenantParams, query: usageQuery },
  responses: {
    200: {
      description: "The usage report",
      content: {
        "application/json": {
          schema: z
            .object({
              period: z.enum(["day", "month"]),
              at: z.string(),
              groupBy: z.string(),
              total: usageLine,
              groups: z.array(usageLine),
              commitment: commitmentBlock.nullable().optional().describe("period=month only"),
            })
            .openapi("UsageReport"),
        },
        "text/csv": { schema: z.string() },
      },
    },
    ...errorResponses,
  },
});

const review = createRoute({
  method: "get",
  path: "/tenants/{t}/review",
  operationId: "getReview",
  summary: "Monthly review per feature: allocated, spent, % utilized, trend against the previous month, suggested action",
  middleware: [adminAuth()] as const,
  request: { params: tenantParams, query: z.object({ month: z.string().regex(MONTH, "month must be YYYY-MM").optional() }) },
  responses: {
    200: {
      description: "The review",
      content: {
        "application/json": {
          schema: z
            .object({
              month: z.string(),
              previousMonth: z.string(),
              features: z.array(
                z.object({
                  feature: z.string(),
                  allocatedUsd: z.number().nullable(),
                  spentUsd: z.number(),
                  utilization: z.number().nullable(),
                  previousSpentUsd: z.number(),
                  trend: z.number().nullable(),
                  action: z.string(),
                  suggestion: suggestionSchema,
                }),
              ),
              reallocations: reviewReallocationsSchema,
              commitment: commitmentBlock.nullable(),
            })
            .openapi("ReviewReport"),
        },
      },
    },
    ...errorResponses,
  },
});

const planRow = z
  .object({
    month: z.string(),
    plannedUsd: z.number().nullable(),
    actualUsd: z.number().nullable(),
    lastYearActualUsd: z.number().nullable(),
    forecastUsd: z.number(),
    projectedOverUsd: z.number().nullable(),
  })
  .openapi("PlanRow");

const plan = createRoute({
  method: "get",
  path: "/tenants/{t}/plan",
  operationId: "getPlan",
  summary:
    "Monthly plan: this month and the next 12 with planned limit, actual (month-to-date for this month), last year's actual, forecast (seasonal from 13 months of history, trend otherwise) and projected over/under",
  middleware: [adminAuth()] as const,
  request: { params: tenantParams },
  responses: {
    200: {
      description: "The 13 rows",
      content: {
        "application/json": {
          schema: z
            .object({
              month: z.string(),
              method: z.enum(["seasonal", "trend", "flat"]),
              historyMonths: z.number(),
              rows: z.array(planRow),
            })
            .openapi("PlanReport"),
        },
      },
    },
    ...errorResponses,
  },
});

const alerts = createRoute({
  method: "get",
  path: "/tenants/{t}/alerts",
  operationId: "listAlerts",
  summary: "Alert history and delivery state, newest first",
  middleware: [adminAuth()] as const,
  request: { params: tenantParams, query: z.object({ limit: z.coerce.number().int().min(1).max(1000).default(200) }) },
  responses: {
    200: {
      description: "The alerts",
      content: { "application/json": { schema: z.object({ alerts: z.array(z.looseObject({ id: z.string() }).openapi("Alert")) }) } },
    },
    ...errorResponses,
  },
});

const audit = createRoute({
  method: "get",
  path: "/tenants/{t}/audit",
  operationId: "listAuditEntries",
  summary: "Audit log of admin changes (who, what, before, after, when), newest first, paged with `before`",
  middleware: [adminAuth()] as const,
  request: {
    params: tenantParams,
    query: z.object({
      limit: z.coerce.number().int().min(1).max(1000).default(100),
      before: z.coerce.number().int().positive().optional(),
    }),
  },
  responses: {
    200: {
      description: "Audit entries",
      content: {
        "application/json": {
          schema: z.object({
            entries: z.array(
              z
                .object({
                  id: z.number(),
                  at: z.string(),
                  actor: z.string(),
                  action: z.string(),
                  target: z.string(),
                  before: z.unknown(),
                  after: z.unknown(),
                })
                .openapi("AuditEntry"),
            ),
          }),
        },
      },
    },
    ...errorResponses,
  },
});

const parse = (s: string | null): unknown => (s === null ? null : (JSON.parse(s) as unknown));

/** The report routes. */
export const reportRoutes = adminApp()
  .openapi(usage, async (c) => {
    const { t } = c.req.valid("param");
    const q = c.req.valid("query");
    const stub = c.env.TENANT_LEDGER.getByName(t);
    const [report, tenant] = await Promise.all([stub.usage(q), stub.getTenant()]);
    if (!report || !tenant) throw tenantNotFound(t);
    if ((c.req.header("accept") ?? "").includes("text/csv")) {
      const header = [
        "tenant",
        "tenant_name",
        "period",
        "at",
        "group_by",
        "group",
        "spend_usd",
        "limit_usd",
        "remaining_usd",
        "utilization",
        "requests",
        // Appended for the committed-use discount: list price and net (net = spend_usd).
        "list_usd",
        "net_usd",
      ];
      const rows = [report.total, ...report.groups].map((g) => [
        t,
        tenant.config.name,
        report.period,
        report.at,
        report.groupBy,
        g.group,
        g.spendUsd,
        g.limitUsd,
        g.remainingUsd,
        g.utilization,
        g.requests,
        g.listUsd ?? g.spendUsd,
        g.spendUsd,
      ]);
      return c.body(toCsv([header, ...rows]), 200, {
        "content-type": "text/csv; charset=utf-8",
        "content-disposition": `attachment; filename="${t}-usage-${report.period}-${report.at}-by-${report.groupBy}.csv"`,
      });
    }
    return c.json(report, 200);
  })
  .openapi(review, async (c) => {
    const { t } = c.req.valid("param");
    const report = await c.env.TENANT_LEDGER.getByName(t).review(c.req.valid("query").month);
    if (!report) throw tenantNotFound(t);
    return c.json(report, 200);
  })
  .openapi(plan, async (c) => {
    const { t } = c.req.valid("param");
    const report = await c.env.TENANT_LEDGER.getByName(t).plan();
    if (!report) throw tenantNotFound(t);
    return c.json(report, 200);
  })
  .openapi(alerts, async (c) => {
    const { t } = c.req.valid("param");
    const stub = c.env.TENANT_LEDGER.getByName(t);
    if (!(await stub.getTenant())) throw tenantNotFound(t);
    const list = await stub.listAlerts(c.req.valid("query").limit);
    return c.json({ alerts: list.map((a) => ({ ...a, payload: parse(a.payload) })) }, 200);
  })
  .openapi(audit, async (c) => {
    const { t } = c.req.valid("param");
    const { limit, before } = c.req.valid("query");
    const entries = await c.env.TENANT_LEDGER.getByName(t).auditLog(limit, before ?? null);
    if (!entries) throw tenantNotFound(t);
    return c.json({ entries: entries.map((e) => ({ ...e, before: parse(e.before), after: parse(e.after) })) }, 200);
  });
