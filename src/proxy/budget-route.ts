/** `GET /v1/budget`: the caller's own budgets, so an app can warn its user before the wall. */
import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import { sha256Hex } from "../auth/keys";
import { toUsd } from "../budget/limits";
import { isoSeconds } from "../budget/windows";
import { ApiError } from "../errors";
import { requireGuardKey, subjectId } from "./request";

/** Handler for `GET /v1/budget`. */
export async function budgetRoute(c: Context<AppEnv>): Promise<Response> {
  const { key, tenantId } = requireGuardKey(c);
  const userId = subjectId(c.req.header("x-budget-user") ?? c.req.query("user"), "user");
  const feature = subjectId(c.req.header("x-budget-feature") ?? c.req.query("feature"), "feature");
  let res;
  try {
    res = await c.env.TENANT_LEDGER.getByName(tenantId).budget(await sha256Hex(key), userId, feature);
  } catch {
    throw new ApiError(503, "The budget ledger could not be reached.", { code: "ledger_unavailable" });
  }
  if ("status" in res) throw new ApiError(res.httpStatus, res.message, { code: res.code });
  return c.json({
    object: "budget",
    scopes: res.lines.map((l) => ({
      scope: l.scope,
      id: l.scopeId || tenantId,
      window: l.window,
      period: l.windowKey.replace(/^(day|month):/, ""),
      limitUsd: l.limit === null ? null : toUsd(l.limit),
      spentUsd: toUsd(l.spent),
      reservedUsd: toUsd(l.reserved),
      remainingUsd: l.remaining === null ? null : toUsd(l.remaining),
      utilization: l.limit ? Math.round(((l.spent + l.reserved) / l.limit) * 10_000) / 10_000 : null,
      resetsAt: isoSeconds(l.resetAt),
    })),
  });
}
