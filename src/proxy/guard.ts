/**
 * The one pipeline every LLM route runs: validate, estimate, reserve in the
 * tenant's ledger, forward, and settle from the provider's usage. Routes
 * differ only in their {@link RouteSpec}.
 */
import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import { sha256Hex } from "../auth/keys";
import { ApiError } from "../errors";
import type { ReserveRequest, ReserveResult } from "../ledger/types";
import type { Usage } from "../pricing/cost";
import { exactInputTokens, fastInputTokens } from "../tokens/inputs";
import { countTokensExact } from "../tokens/exact";
import { blockHeaders, positionHeaders, serverTiming, warningHeader } from "./budget-headers";
import { DIALECT_USAGE, routeModel, RoutingError, type ModelRoute } from "./providers/registry";
import { ProviderUnavailable, ROUTE_DIALECT } from "./providers/types";
import { parseBody, readBody, requireGuardKey, subjectId } from "./request";
import type { RouteSpec } from "./routes/spec";
import { trackStream } from "./sse";
import { syntheticAnswer } from "./synthetic";

/** Upstream timeouts: a stream may run long, a plain call may not. */
const UPSTREAM_TIMEOUT_MS = { plain: 2 * 60_000, stream: 10 * 60_000 };

function route(model: string, spec: RouteSpec, c: Context<AppEnv>): ModelRoute {
  try {
    return routeModel(model, spec.route, c.get("config"));
  } catch (err) {
    if (err instanceof RoutingError) throw new ApiError(400, err.message, { code: "model_not_found", param: "model" });
    throw err;
  }
}

function ledgerDown(): ApiError {
  return new ApiError(503, "The budget ledger could not be reached, so the call was not made. Retry shortly.", {
    code: "ledger_unavailable",
  });
}

/** Builds the Hono handler for one LLM route. */
export function llmHandler(spec: RouteSpec) {
  return async function llmRoute(c: Context<AppEnv>): Promise<Response> {
    const started = performance.now();
    let ledgerMs = 0;
    const config = c.get("config");
    const { key, tenantId } = requireGuardKey(c);
    const body = parseBody(await readBody(c, config.MAX_BODY_BYTES), spec);
    const model = body.model as string;
    const target = route(model, spec, c);
    const userId = subjectId(c.req.header("x-budget-user"), "X-Budget-User");
    const bodyUserId = spec.userOf(body);
    const feature = subjectId(c.req.header("x-budget-feature"), "X-Budget-Feature");
    const stream = spec.stream(body);
    const pieces = spec.input(body);
    const stub = c.env.TENANT_LEDGER.getByName(tenantId);
    const request: ReserveRequest = {
      requestId: c.get("requestId"),
      keyHash: await sha256Hex(key),
      userId,
      bodyUserId: subjectId(bodyUserId, "user"),
      feature,
      model: target.priceKey,
      kind: spec.kind,
      inputTokens: fastInputTokens(pieces, target.encoding),
      inputExact: false,
      requestedMaxTokens: spec.maxTokens(body),
      finalMessageEligible: spec.kind === "chat",
      streaming: stream,
    };

    const reserve = async (r: ReserveRequest): Promise<ReserveResult> => {
      const t = performance.now();
      try {
        return await stub.reserve(r);
      } catch (err) {
        console.error(
          JSON.stringify({ level: "error", msg: "ledger reserve failed", requestId: r.requestId, tenant: tenantId, error: String(err) }),
        );
        throw ledgerDown();
      } finally {
        ledgerMs += performance.now() - t;
      }
    };
    let res = await reserve(request);
    if (res.status === "recount") {
      // Only near a limit: the exact tokenizer decides instead of the conservative bound.
      res = await reserve({ ...request, inputTokens: await exactInputTokens(pieces, target.encoding), inputExact: true });
    }
    const now = Date.now();
    switch (res.status) {
      case "recount":
        throw ledgerDown();
      case "denied":
        throw new ApiError(res.httpStatus, res.message, {
          code: res.code,
          headers: res.httpStatus === 429 ? { "x-should-retry": "false" } : {},
        });
      case "blocked": {
        const headers = {
          ...blockHeaders(res.position, now),
          "Server-Timing": serverTiming({ guard: performance.now() - started - ledgerMs, ledger: ledgerMs }),
        };
        if (res.finalMessage) {
          const answer = syntheticAnswer(spec.route, model, res.message, stream);
          for (const [k, v] of Object.entries(headers)) if (k !== "Retry-After") answer.headers.set(k, v);
          answer.headers.set("X-Budget-Final-Message", "true");
          return answer;
        }
        throw new ApiError(res.blockStatus, res.message, { code: res.code, type: "budget_exceeded", headers });
      }
      case "allowed":
        break;
    }

    // The call may go to a cheaper model (degrade) and with a lower output cap (clamp).
    const actual = res.model === target.priceKey ? target : route(res.model, spec, c);
    let upstreamBody = res.forwardMaxTokens !== undefined ? spec.withMaxTokens(body, res.forwardMaxTokens) : body;
    const prepared = spec.forUpstream(upstreamBody, stream);
    upstreamBody = prepared.body;

    const reservationId = res.reservationId;
    const release = () => c.executionCtx.waitUntil(stub.release(reservationId).catch(() => undefined));
    const settle = (usage: Usage, outcome: "ok" | "estimated" | "partial") =>
      stub.settle({ reservationId, usage, outcome }).catch((err: unknown) => {
        console.error(JSON.stringify({ level: "error", msg: "settlement failed", requestId: reservationId, error: String(err) }));
      });

    const headers = new Headers(positionHeaders(res.tightest, now));
    const warning = warningHeader(res.warnings);
    if (warning) headers.set("X-Budget-Warning", warning);
    if (res.degradedFrom) headers.set("X-Budget-Degraded-From", res.degradedFrom);
    if (res.forwardMaxTokens !== undefined && res.clamped) headers.set("X-Budget-Clamped-Max-Tokens", String(res.forwardMaxTokens));
    if (res.shadowCode) headers.set("X-Budget-Shadow", res.shadowCode);

    const upstreamStarted = performance.now();
    let upstream: Response;
    try {
      upstream = await actual.provider.send(
        {
          route: spec.route,
          model: actual.upstreamModel,
          body: upstreamBody,
          stream,
          clientHeaders: c.req.raw.headers,
          signal: AbortSignal.timeout(stream ? UPSTREAM_TIMEOUT_MS.stream : UPSTREAM_TIMEOUT_MS.plain),
        },
        config,
      );
    } catch (err) {
      release();
      if (err instanceof ProviderUnavailable) {
        console.error(JSON.stringify({ level: "error", msg: err.message, requestId: reservationId }));
        throw new ApiError(503, `The provider for "${model}" is not configured on this guard.`, { code: "provider_unavailable" });
      }
      throw new ApiError(502, "The upstream provider could not be reached.", { code: "upstream_unreachable" });
    }
    const upstreamMs = performance.now() - upstreamStarted;
    headers.set("Server-Timing", serverTiming({ guard: upstreamStarted - started - ledgerMs, ledger: ledgerMs, upstream: upstreamMs }));
    headers.set("content-type", upstream.headers.get("content-type") ?? "application/json");
    for (const h of ["x-request-id", "openai-processing-ms", "request-id"]) {
      const v = upstream.headers.get(h);
      if (v) headers.set(`x-upstream-${h.replace(/^x-/, "")}`, v);
    }

    if (!upstream.ok) {
      // Upstream errors cost nothing: give the hold back and pass the provider's error through.
      release();
      return new Response(upstream.body, { status: upstream.status, headers });
    }

    const dialect = DIALECT_USAGE[ROUTE_DIALECT[spec.route]];
    const countedEstimate = async (generated: string): Promise<Usage> => ({
      inputTokens: await exactInputTokens(pieces, actual.encoding),
      cachedInputTokens: 0,
      cacheWriteTokens: 0,
      outputTokens: await countTokensExact(generated, actual.encoding === "claude_approx" ? "cl100k_base" : actual.encoding),
    });

    if (stream && upstream.body) {
      const tracker = dialect.tracker(spec.route, { hideUsageChunk: !prepared.clientWantsUsage });
      const tracked = trackStream(upstream.body, tracker);
      c.executionCtx.waitUntil(
        tracked.done.then(async (end) => {
          const usage = tracker.usage();
          if (usage && end === "complete") return settle(usage, "ok");
          // Cut short (client gone or upstream broke): charge what was streamed.
          return settle(usage ?? (await countedEstimate(tracker.generatedText())), "partial");
        }),
      );
      return new Response(tracked.body, { status: upstream.status, headers });
    }

    const text = await upstream.text();
    let usage: Usage | null = null;
    try {
      usage = dialect.fromJson(spec.route, JSON.parse(text));
    } catch {
      usage = null;
    }
    c.executionCtx.waitUntil(usage ? settle(usage, "ok") : countedEstimate(text).then((u) => settle(u, "estimated")));
    return new Response(text, { status: upstream.status, headers });
  };
}
