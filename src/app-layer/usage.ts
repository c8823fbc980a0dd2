/**
 * `POST /v1/usage`: spend made elsewhere (a provider SDK called directly, a
 * batch job, an imported bill), recorded after the fact against the caller's
 * user and feature under a `source` label. It already happened, so it is
 * recorded even past a limit, which then blocks from the next call on. The
 * `Idempotency-Key` is required: a retry records nothing new and gets the
 * first answer; the same key with another body is a 422, as for proxied calls.
 */
import { createRoute } from "@hono/zod-openapi";
import { sha256Hex } from "../auth/keys";
import { toUsd } from "../budget/limits";
import type { AppUsageAnswer, AppUsageResult } from "../ledger/app-types";
import { appLayerApp, requireJson } from "./app";
import { budgetHeaders, caller, ledgerCall, microsUp, positionOut, refusal, warningsOut } from "./http";
import { errors, reservedHeaders } from "./responses";
import { usageHeaders, usageRecord, usageRequest } from "./schemas";

const recordUsage = createRoute({
  method: "post",
  path: "/usage",
  operationId: "recordUsage",
  summary: "Record spend made outside the guard (idempotent with the required Idempotency-Key)",
  description:
    "`costUsd`, or `usage` priced at the tenant's price for its model, charged to the caller's user and feature in the windows open now. Never refused for the budget (it already happened): `overLimit` says a scope is now at its hard limit, so its next call is blocked. Reports show it under `source` (or `source/model`) in the model column.",
  middleware: [requireJson] as const,
  request: { headers: usageHeaders, body: { required: true, content: { "application/json": { schema: usageRequest } } } },
  responses: {
    201: { description: "The record (a retry's answer carries `Idempotent-Replayed: true`)", headers: reservedHeaders, content: { "application/json": { schema: usageRecord } } },
    ...errors([400, 401, 403, 409, 415, 422, 429, 503]),
  },
});

function usageOut(a: AppUsageAnswer) {
  return {
    object: "usage" as const,
    id: a.id,
    costUsd: toUsd(a.cost),
    user: a.userId,
    feature: a.feature,
    source: a.source,
    model: a.model,
    reportedAs: a.reportedAs,
    recordedAt: new Date(a.recordedAt).toISOString(),
    overLimit: a.overLimit,
    warnings: warningsOut(a.warnings),
    budget: positionOut(a.tightest),
  };
}

/** The usage route. */
export const usageRoutes = appLayerApp().openapi(recordUsage, async (c) => {
  const body = c.req.valid("json");
  const h = c.req.valid("header");
  const who = await caller(c);
  const userId = h["x-budget-user"] ?? null;
  const bodyUserId = body.user ?? null;
  const feature = h["x-budget-feature"] ?? body.feature ?? null;
  const idem = h["idempotency-key"];
  const res = await ledgerCall<AppUsageResult>("record usage", async () =>
    who.ledger.recordUsage({
      // Scoped to the guard key, as a proxied call's Idempotency-Key is.
      id: `usage_${(await sha256Hex(`${who.tenantId}\n${who.keyHash}\n${idem}`)).slice(0, 48)}`,
      fingerprint: await sha256Hex([who.keyHash, userId ?? bodyUserId ?? "", feature ?? "", "usage", JSON.stringify(body)].join("\n")),
      keyHash: who.keyHash,
      userId,
      bodyUserId,
      feature,
      ...(body.usage ? { usage: body.usage } : { cost: microsUp(body.costUsd ?? 0) }),
      source: body.source,
      description: body.description ?? null,
    }),
  );
  if (res.status === "denied") throw refusal(res);
  const headers = budgetHeaders(res.answer.tightest, res.answer.warnings, Date.now());
  if (res.replayed) headers["Idempotent-Replayed"] = "true";
  return c.json(usageOut(res.answer), 201, headers);
});
