/**
 * What the guard needs to run the edge path in a request: the port (the
 * tenant object's allowance RPCs and this request's `waitUntil`), and a local
 * decision in the shape of the object's `allowed` answer, so headers, the
 * request log and forwarding are the same code whichever path decided.
 */
import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import type { TenantLedger } from "../ledger/tenant-ledger";
import type { ReserveRequest, ReserveResult } from "../ledger/types";
import { markVerified } from "../proxy/verified-keys";
import { edgeDecide, type LocalTicket, type NormalPath } from "./edge-path";
import type { EdgePort } from "./flush";

/** The edge's answer for a request: decided locally, or the normal path (with what to fold), or nothing (mode off). */
export async function atEdge(
  mode: "auto" | "on" | "off",
  subject: string,
  request: ReserveRequest,
  port: (mode: "auto" | "on") => EdgePort,
): Promise<{ local: LocalTicket | null; normal: NormalPath | null }> {
  if (mode === "off") return { local: null, normal: null };
  const e = await edgeDecide(subject, request, port(mode));
  return "local" in e ? { local: e.local, normal: null } : { local: null, normal: e.normal };
}

/** The reserve RPC carrying the subject's pending batch, if any; the batch counts as landed once the object answered. */
export async function reserveWithFold(
  normal: NormalPath | null,
  request: ReserveRequest,
  reserve: (r: ReserveRequest) => Promise<ReserveResult | null>,
): Promise<ReserveResult | null> {
  if (normal?.fold) request.allowanceFlush = normal.fold.flush;
  try {
    const res = await reserve(request);
    // Null: the ledger was not reached (FAIL_OPEN), so the batch did not land either.
    normal?.fold?.done(res !== null);
    return res;
  } catch (err) {
    normal?.fold?.done(false);
    throw err;
  }
}

/** The port for one request. */
export function edgePort(c: Context<AppEnv>, stub: DurableObjectStub<TenantLedger>, keyHash: string, mode: "auto" | "on"): EdgePort {
  // A grant means the object just re-authenticated the key: a busy subject with large bodies
  // then skips the auth-first check as a reserve's acceptance would let it (verified-keys.ts).
  const verified = (granted: boolean) => {
    if (granted) markVerified(keyHash, Date.now());
  };
  return {
    acquire: async (r) => {
      const res = await stub.acquireAllowance(r);
      verified("grant" in res);
      return res;
    },
    flush: async (r) => {
      const res = await stub.flushAllowance(r);
      verified("grant" in res);
      return res;
    },
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
