/**
 * The one pipeline every LLM route runs: validate, estimate, reserve in the
 * tenant's ledger, then forward and settle (`forward.ts`). Routes differ only
 * in their {@link RouteSpec}.
 */
import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import { sha256Hex } from "../auth/keys";
import { ApiError } from "../errors";
import type { TenantLedger } from "../ledger/tenant-ledger";
import type { ReserveRequest, ReserveResult } from "../ledger/types";
import { exactInputTokens, fastInputTokens } from "../tokens/inputs";
import { blockHeaders, positionHeaders, serverTiming, warningHeader } from "./budget-headers";
import { billingHints } from "./billing";
import { forward } from "./forward";
import { rerouteModel, routeModel, RoutingError, type ModelRoute } from "./providers/registry";
import { parseBody, readBody, requireGuardKey, subjectId } from "./request";
import { RequestLog } from "./request-log";
import type { RouteSpec } from "./routes/spec";
import { syntheticAnswer } from "./synthetic";
import { measureOf, type CallBounds } from "./unknown-usage";
import { atEdge, edgePort, localResult, reserveWithFold } from "../edge/wiring";
import { subjectKey } from "../edge/registry";
import { AUTH_FIRST_ABOVE_CHARS, forgetVerified, markVerified, recentlyVerified } from "./verified-keys";

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

function route(model: string, spec: RouteSpec, c: Context<AppEnv>, from?: ModelRoute): ModelRoute {
  try {
    return from ? rerouteModel(from, model, spec.route, c.get("config")) : routeModel(model, spec.route, c.get("config"));
  } catch (err) {
    if (err instanceof RoutingError) throw new ApiError(400, err.message, { code: "model_not_found", param: "model" });
    throw err;
  }
}

/** Denials that mean the object refused the key itself. */
const AUTH_DENIALS = new Set(["invalid_api_key", "too_many_auth_failures"]);

/**
 * Auth-only check before heavy work: one extra RPC, paid only by a large body from a key not accepted
 * in this isolate within the last second. A ledger that cannot be reached here is left to the reserve,
 * which fails closed (or open, as the operator chose) the same way for every request.
 */
async function verifyFirst(stub: DurableObjectStub<TenantLedger>, keyHash: string, log: RequestLog): Promise<void> {
  let who: Awaited<ReturnType<TenantLedger["whoami"]>>;
  try {
    who = await stub.whoami(keyHash);
  } catch {
    return;
  }
  if (who === null || who === "throttled") {
    const code = who === null ? "invalid_api_key" : "too_many_auth_failures";
    log.set({ decision: "denied", code });
    forgetVerified(keyHash);
    throw who === null
      ? new ApiError(401, "Invalid API key.", { code })
      : new ApiError(429, "Too many failed authentication attempts for this tenant; try again in a minute.", {
          code,
          headers: { "x-should-retry": "false", "Retry-After": "60" },
        });
  }
  markVerified(keyHash, Date.now());
}

function ledgerDown(): ApiError {
  return new ApiError(503, "The budget ledger could not be reached, so the call was not made. Retry shortly.", {
    code: "ledger_unavailable",
  });
}

/** Builds the Hono handler for one LLM route. */
export function llmHandler(spec: RouteSpec) {
  return async function llmRoute(c: Context<AppEnv>): Promise<Response> {
    let ledgerMs = 0;
    const config = c.get("config");
    const log = new RequestLog(c.get("requestId"), spec.route, config.LOG_PROMPTS);
    c.set("log", log);
    const { key, tenantId } = requireGuardKey(c, spec.credential?.(c.req.raw));
    log.set({ tenant: tenantId });
    const raw = await readBody(c, config.MAX_BODY_BYTES);
    // Server-Timing's guard figure is time in the isolate: it starts once the body has arrived (I/O).
    const started = performance.now();
    const body = parseBody(raw, spec);
    const model = spec.modelOf ? spec.modelOf(c.req.raw, body, config) : (body.model as string);
    const target = route(model, spec, c);
    const userId = subjectId(c.req.header("x-budget-user"), "X-Budget-User");
    const bodyUserId = subjectId(spec.userOf(body), "user");
    const feature = subjectId(c.req.header("x-budget-feature"), "X-Budget-Feature");
    const idemKey = c.req.header("idempotency-key");
    if (idemKey !== undefined && !IDEMPOTENCY_KEY.test(idemKey)) {
      throw new ApiError(400, "Idempotency-Key must be 1-255 printable ASCII characters.", {
        code: "invalid_idempotency_key",
        param: "Idempotency-Key",
      });
    }
    const stream = spec.stream(body);
    log.set({ model, provider: target.provider.name, user: userId ?? bodyUserId ?? undefined, feature: feature ?? undefined });
    const keyHash = await sha256Hex(key);
    const stub = c.env.TENANT_LEDGER.getByName(tenantId);
    if (raw.length > AUTH_FIRST_ABOVE_CHARS && !recentlyVerified(keyHash, Date.now())) {
      // A large body from a key this isolate has not seen accepted: verify it before estimating (see verified-keys.ts).
      const t = performance.now();
      await verifyFirst(stub, keyHash, log);
      ledgerMs += performance.now() - t;
    }
    // Heavy work starts here: the key is verified, or the body is small enough that estimating it costs about what parsing did.
    const pieces = spec.input(body);
    log.text("prompt", () => pieces.texts.join("\n"));
    const hints = billingHints(spec.route, body);
    const first = hints.unpriced[0];
    if (first !== undefined) {
      log.set({ decision: "denied", code: "unpriced_unit" });
      throw new ApiError(400, `The guard has no price for ${first}. It never prices a billed unit at $0, so the call was not sent.`, {
        code: "unpriced_unit",
      });
    }
    // Server-run tools add content the body does not show, and make the provider read the input again per call.
    const inputBound = (tokens: number) => (tokens + hints.extraInputTokens) * hints.inputPasses;
    const request: ReserveRequest = {
      // A client's Idempotency-Key names the request: its retries find the same reservation.
      requestId: idemKey ? `idem_${(await sha256Hex(`${tenantId}\n${keyHash}\n${idemKey}`)).slice(0, 48)}` : c.get("requestId"),
      keyHash,
      userId,
      bodyUserId,
      feature,
      model: target.priceKey,
      kind: spec.kind,
      inputTokens: inputBound(fastInputTokens(pieces, target.encoding)),
      inputExact: false,
      requestedMaxTokens: spec.maxTokens(body),
      idempotent: idemKey !== undefined,
      finalMessageEligible: spec.kind === "chat",
      streaming: stream,
      choices: spec.choices?.(body) ?? 1,
      audioInputTokens: pieces.audioTokens,
      unbounded: [...pieces.unbounded, ...hints.unbounded],
      toolCalls: hints.toolCalls,
      serviceTier: hints.serviceTier,
      cacheTtl: hints.cacheTtl,
      context: spec.context?.(body) ?? [],
      background: spec.background?.(body) ?? false,
      // The same Idempotency-Key with another subject, route or body is a 422 in the ledger, never a replay.
      fingerprint: idemKey ? await sha256Hex([keyHash, userId ?? bodyUserId ?? "", feature ?? "", spec.route, raw].join("\n")) : null,
    };

    // What decides whether a call without usage can be counted exactly (else it settles at the ceiling).
    const bounds: CallBounds = {
      pieces: { ...pieces, unbounded: request.unbounded ?? [] },
      context: request.context ?? [],
      toolCalls: request.toolCalls ?? {},
      cacheTtl: request.cacheTtl ?? null,
      serviceTier: request.serviceTier ?? null,
      background: request.background ?? false,
    };

    const reserve = async (r: ReserveRequest): Promise<ReserveResult | null> => {
      const t = performance.now();
      try {
        return await stub.reserve(r);
      } catch (err) {
        console.error(
          JSON.stringify({ level: "error", msg: "ledger reserve failed", requestId: r.requestId, tenant: tenantId, error: String(err) }),
        );
        // Fail closed unless the operator opted into FAIL_OPEN.
        if (!config.FAIL_OPEN) throw ledgerDown();
        return null;
      } finally {
        ledgerMs += performance.now() - t;
      }
    };
    // A busy subject's allowance decides here, with no RPC (DESIGN "Edge allowances"); else the object does.
    const subject = subjectKey(tenantId, keyHash, userId, bodyUserId, feature);
    const { local, normal } = await atEdge(config.ALLOWANCES, subject, request, (mode) => edgePort(c, stub, keyHash, mode));
    let res: ReserveResult | null;
    if (local) res = localResult(local, request.requestId);
    else {
      res = await reserveWithFold(normal, request, reserve);
      if (res?.status === "recount") {
        // Only near a limit: the exact tokenizer decides instead of the conservative bound (the batch already landed).
        const exact = inputBound(await exactInputTokens(pieces, target.encoding));
        res = await reserve({ ...request, inputTokens: exact, inputExact: true, allowanceFlush: undefined });
      }
      if (res?.status === "allowed") normal?.reserved(res.amount);
      if (res?.status === "denied" && AUTH_DENIALS.has(res.code)) forgetVerified(keyHash);
      else if (res !== null) markVerified(keyHash, Date.now());
    }
    const now = Date.now();

    if (res === null) {
      log.set({ decision: "unmetered", code: "ledger_unavailable" });
      const headers = new Headers({ "X-Budget-Unmetered": "true" });
      return forward({
        c,
        spec,
        target,
        body: hints.rewrite ? hints.rewrite(body) : body,
        stream,
        measure: measureOf(target, body, bounds),
        ledger: null,
        forwardHeaders: [],
        headers,
        started,
        ledgerMs,
        log,
      });
    }

    switch (res.status) {
      case "recount":
        throw ledgerDown();
      case "denied":
        log.set({ decision: "denied", code: res.code });
        throw new ApiError(res.httpStatus, res.message, {
          code: res.code,
          headers: res.httpStatus === 429 ? { "x-should-retry": "false", "Retry-After": "60" } : {},
        });
      case "duplicate": {
        log.set({ decision: "duplicate" });
        if (res.replay) {
          log.emit({ status: res.replay.status });
          return new Response(res.replay.body, {
            status: res.replay.status,
            headers: { "content-type": res.replay.contentType, "Idempotent-Replayed": "true" },
          });
        }
        throw new ApiError(
          409,
          `A request with this Idempotency-Key is ${res.state === "settled" ? "already complete (a stream cannot be replayed)" : "still in progress"}; it was not sent again.`,
          {
            code: "idempotency_conflict",
          },
        );
      }
      case "blocked": {
        const headers = {
          ...blockHeaders(res.position, now),
          "Server-Timing": serverTiming({ guard: performance.now() - started - ledgerMs, ledger: ledgerMs }),
        };
        if (res.finalMessage) {
          log.emit({ decision: "final_message", code: res.code, status: 200 });
          const answer = syntheticAnswer(spec.route, model, res.message, stream);
          for (const [k, v] of Object.entries(headers)) if (k !== "Retry-After") answer.headers.set(k, v);
          answer.headers.set("X-Budget-Final-Message", "true");
          return answer;
        }
        log.set({ decision: "blocked", code: res.code });
        throw new ApiError(res.blockStatus, res.message, { code: res.code, type: "budget_exceeded", headers });
      }
      case "allowed":
        break;
    }

    // The call may go to a cheaper model (degrade) and with a lower output cap (clamp).
    const actual = res.model === target.priceKey ? target : route(res.model, spec, c, target);
    const capped = res.forwardMaxTokens !== undefined ? spec.withMaxTokens(body, res.forwardMaxTokens) : body;
    // The limits the guard chose for built-in tools the client left unbounded (max_uses, max_tool_calls…).
    const outgoing = hints.rewrite ? hints.rewrite(capped) : capped;
    const headers = new Headers(positionHeaders(res.tightest, now));
    const warning = warningHeader(res.warnings);
    if (warning) headers.set("X-Budget-Warning", warning);
    if (res.degradedFrom) headers.set("X-Budget-Degraded-From", res.degradedFrom);
    if (res.burstId) headers.set("X-Budget-Burst", res.burstId);
    if (res.forwardMaxTokens !== undefined && res.clamped) headers.set("X-Budget-Clamped-Max-Tokens", String(res.forwardMaxTokens));
    if (res.shadowCode) headers.set("X-Budget-Shadow", res.shadowCode);
    log.set({
      decision: res.shadowCode ? "shadow" : res.degradedFrom ? "degraded" : res.clamped ? "clamped" : "allowed",
      code: res.shadowCode,
      user: res.userId,
      feature: res.feature,
      model: actual.upstreamModel,
      provider: actual.provider.name,
      estimateUsd: res.amount / 1_000_000,
    });
    return forward({
      c,
      spec,
      target: actual,
      body: outgoing,
      stream,
      measure: measureOf(actual, outgoing, bounds),
      ledger: { stub, reservationId: res.reservationId, idempotent: request.idempotent, local },
      forwardHeaders: (res.forwardHeaders ?? []).map((h) => h.toLowerCase()),
      headers,
      started,
      ledgerMs,
      log,
    });
  };
}
