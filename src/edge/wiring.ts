/**
 * What the guard needs to run the edge path in a request: the port (the
 * tenant object's allowance RPCs and this request's `waitUntil`), and a local
 * decision in the shape of the object's `allowed` answer, so headers, the
 * request log and forwarding are the same code whichever path decided.
 */
import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import type { TenantLedger } from "../ledger/tenant-ledger";
import type { ReserveResult } from "../ledger/types";
import type { LocalTicket } from "./edge-path";
import type { EdgePort } from "./flush";

/** The port for one request. */
export function edgePort(c: Context<AppEnv>, stub: DurableObjectStub<TenantLedger>, keyHash: string, mode: "auto" | "on"): EdgePort {
  return {
    acquire: (r) => stub.acquireAllowance(r),
    flush: (r) => stub.flushAllowance(r),
    waitUntil: (p) => c.executionCtx.waitUntil(p),
    keyHash,
    mode,
    now: () => Date.now(),
  };
}

/** A local decision as the object's `allowed` result (never clamped, never shadow: those go to the object). */
export function localResult(t: LocalTicket, requestId: string): Extract<ReserveResult, { status: "allowed" }> {
  const d = t.decision;
  return {
    status: "allowed",
    reservationId: requestId,
    userId: t.userId,
    feature: t.feature,
    model: d.model,
    degradedFrom: d.degradedFrom,
    amount: d.amount,
    forwardMaxTokens: d.forwardMaxTokens,
    clamped: false,
    warnings: d.warnings,
    tightest: d.tightest,
    forwardHeaders: t.forwardHeaders,
  };
}
