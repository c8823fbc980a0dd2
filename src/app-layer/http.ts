/**
 * What every application-layer route shares with the LLM routes: the guard
 * key (checked for shape here, verified by the tenant's object), the caller's
 * attribution, the ledger call that fails closed, and the answers a refusal or
 * a budget block gets: the same status, code, body and headers as a proxied
 * call's.
 */
import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import { sha256Hex } from "../auth/keys";
import { toUsd } from "../budget/limits";
import { isoSeconds } from "../budget/windows";
import { ApiError } from "../errors";
import type { AppDenied } from "../ledger/app-types";
import type { TenantLedger } from "../ledger/tenant-ledger";
import type { BudgetPosition, ReserveResult, WarningOut } from "../ledger/types";
import { blockHeaders, positionHeaders, warningHeader } from "../proxy/budget-headers";
import { requireGuardKey } from "../proxy/request";

/** The caller's key, its tenant's object, and the key's hash the object verifies. */
export interface Caller {
  tenantId: string;
  keyHash: string;
  ledger: DurableObjectStub<TenantLedger>;
}

/** The guard key of the request (401 when missing or malformed), and its tenant's ledger. */
export async function caller(c: Context<AppEnv>): Promise<Caller> {
  const { key, tenantId } = requireGuardKey(c);
  return { tenantId, keyHash: await sha256Hex(key), ledger: c.env.TENANT_LEDGER.getByName(tenantId) };
}

/** Runs a ledger RPC; an unreachable ledger is a 503 and nothing is held or recorded (never "0 spent"). */
export async function ledgerCall<T>(what: string, rpc: () => Promise<T>): Promise<T> {
  try {
    return await rpc();
  } catch (err) {
    console.error(JSON.stringify({ level: "error", msg: `ledger ${what} failed`, error: String(err) }));
    throw new ApiError(503, "The budget ledger could not be reached; nothing was held or recorded. Retry shortly.", {
      code: "ledger_unavailable",
    });
  }
}

/** The ApiError for a refusal, as the LLM routes give it. */
export function refusal(d: AppDenied): ApiError {
  return new ApiError(d.httpStatus, d.message, {
    code: d.code,
    param: d.param ?? null,
    headers: d.httpStatus === 429 ? { "x-should-retry": "false", "Retry-After": "60" } : {},
  });
}

/** The ApiError for a budget block: the status, code, message and headers a blocked proxied call gets. */
export function budgetBlock(b: Extract<ReserveResult, { status: "blocked" }>, now: number): ApiError {
  return new ApiError(b.blockStatus, b.message, { code: b.code, type: "budget_exceeded", headers: blockHeaders(b.position, now) });
}

/** USD from the JSON edge to micro-USD, rounded up (a hold or a cost is never under-counted). */
export function microsUp(usd: number): number {
  // Round away the float noise of usd × 10⁶ (0.1 → 100000.00000000001) before rounding up.
  return Math.ceil(Math.round(usd * 1_000_000 * 1000) / 1000);
}

/** The tightest scope as the JSON answer shows it. */
export function positionOut(p: BudgetPosition | null): { scope: string; limitUsd: number; remainingUsd: number; resetsAt: string } | null {
  return p ? { scope: `${p.scope}:${p.window}`, limitUsd: toUsd(p.limit), remainingUsd: toUsd(p.remaining), resetsAt: isoSeconds(p.resetAt) } : null;
}

/** `user:daily 85% used`, as `X-Budget-Warning` lists them. */
export function warningsOut(w: readonly WarningOut[]): string[] {
  return w.map((x) => `${x.scope}:${x.window} ${x.pct}% used`);
}

/** The budget headers of an allowed answer: position, soft-limit warning, shadow and degrade notes. */
export function budgetHeaders(
  p: BudgetPosition | null,
  warnings: readonly WarningOut[],
  now: number,
  extra: { degradedFrom?: string; shadowCode?: string; clampedTo?: number } = {},
): Record<string, string> {
  const h = positionHeaders(p, now);
  const warning = warningHeader(warnings);
  if (warning) h["X-Budget-Warning"] = warning;
  if (extra.degradedFrom) h["X-Budget-Degraded-From"] = extra.degradedFrom;
  if (extra.shadowCode) h["X-Budget-Shadow"] = extra.shadowCode;
  if (extra.clampedTo !== undefined) h["X-Budget-Clamped-Max-Tokens"] = String(extra.clampedTo);
  return h;
}
