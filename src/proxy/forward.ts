/**
 * The second half of the pipeline: send the (possibly degraded or clamped)
 * call upstream, pass the answer through, and settle the reservation from the
 * provider's usage, or release it when nothing was spent. Settlement runs in
 * `waitUntil`, after the response, and is idempotent per request id.
 */
import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import type { Config } from "../config";
import { ApiError } from "../errors";
import { stillRunning } from "../ledger/background";
import type { Replay, SettleRequest } from "../ledger/types";
import type { TenantLedger } from "../ledger/tenant-ledger";
import type { LocalTicket } from "../edge/edge-path";
import type { Usage } from "../pricing/cost";
import { serverTiming } from "./budget-headers";
import { DIALECT_USAGE, providerSecretNames, type ModelRoute } from "./providers/registry";
import type { ResponseRef } from "./dialects/types";
import { ProviderUnavailable, ROUTE_DIALECT } from "./providers/types";
import type { RequestLog } from "./request-log";
import type { Body, RouteSpec } from "./routes/spec";
import { trackStream } from "./sse";
import { NO_USAGE, unknownUsage, type Measure } from "./unknown-usage";

/** Idempotent answers larger than this are not kept for replay. */
const MAX_REPLAY_BYTES = 512 * 1024;

/** Everything the forward step needs. */
export interface ForwardOptions {
  c: Context<AppEnv>;
  spec: RouteSpec;
  target: ModelRoute;
  /** The body as the guard will send it (model and cap already rewritten); usage options are added here. */
  body: Body;
  stream: boolean;
  /** Whether a call without usage is counted exactly or settled at the ceiling (`unknown-usage.ts`). */
  measure: Measure;
  /**
   * Null when forwarding unmetered (FAIL_OPEN with the ledger down). With `local`, the call was decided
   * from the subject's allowance: it settles (or releases) in the isolate, no settle RPC.
   */
  ledger: { stub: DurableObjectStub<TenantLedger>; reservationId: string; idempotent: boolean; local?: LocalTicket | null } | null;
  /** Billing-changing client headers the tenant allows through (`ReserveResult.forwardHeaders`); none when unmetered. */
  forwardHeaders: readonly string[];
  headers: Headers;
  started: number;
  ledgerMs: number;
  log: RequestLog;
}

/** Sends the call upstream and returns the client's response; settlement is scheduled, not awaited. */
export async function forward(o: ForwardOptions): Promise<Response> {
  const { c, spec, target, stream, ledger, headers, log } = o;
  const config = c.get("config");
  const prepared = spec.forUpstream(o.body, stream);
  // Stored context: the ledger remembers the response's token total, and the conversation's growth.
  const conversationId = spec.context?.(o.body).find((r) => r.kind === "conversation")?.id;
  const background = spec.background?.(o.body) === true;
  const settle = (usage: Usage, outcome: SettleRequest["outcome"], replay?: Replay, ref?: ResponseRef | null) => {
    log.set({
      inputTokens: usage.inputTokens + usage.cachedInputTokens + usage.cacheWriteTokens,
      outputTokens: usage.outputTokens,
      settlement: outcome,
    });
    if (!ledger) return Promise.resolve(log.emit());
    if (ledger.local) return Promise.resolve(log.emit({ settledUsd: ledger.local.settle(usage, outcome) / 1_000_000 }));
    return ledger.stub
      .settle({ reservationId: ledger.reservationId, usage, outcome, replay, responseId: ref?.id, conversationId })
      .then((r) => log.emit({ settledUsd: r.cost / 1_000_000 }))
      .catch((err: unknown) => {
        console.error(JSON.stringify({ level: "error", msg: "settlement failed", requestId: ledger.reservationId, error: String(err) }));
        log.emit({ settlement: "failed" });
      });
  };
  const release = (why: string) => {
    log.set({ settlement: why });
    if (!ledger) return log.emit();
    if (ledger.local) {
      ledger.local.release();
      return log.emit();
    }
    c.executionCtx.waitUntil(
      ledger.stub
        .release(ledger.reservationId)
        .catch(() => undefined)
        .finally(() => log.emit()),
    );
  };

  const handOff = async (ref: ResponseRef, usage: Usage | null) => {
    if (!ledger) return log.emit({ settlement: "background" });
    // The job is read back under the same billing headers (organisation, project) it was created with.
    const sent: Record<string, string> = {};
    for (const h of o.forwardHeaders) {
      const v = c.req.raw.headers.get(h);
      if (v) sent[h] = v;
    }
    const tracked = await ledger.stub
      .trackBackground({
        reservationId: ledger.reservationId,
        responseId: ref.id,
        provider: target.provider.name,
        conversationId,
        headers: sent,
      })
      .then((r) => r.tracked)
      .catch(() => false);
    if (tracked) return log.emit({ settlement: "background" });
    // Not handed over: the job still runs and bills, so charge the ceiling, never the queued reply's figure.
    return settle(usage ?? NO_USAGE, "ceiling", undefined, ref);
  };

  const upstreamStarted = performance.now();
  let upstream: Response;
  try {
    upstream = await target.provider.send(
      {
        route: spec.route,
        model: target.upstreamModel,
        body: prepared.body,
        stream,
        clientHeaders: c.req.raw.headers,
        forwardHeaders: o.forwardHeaders,
        signal: AbortSignal.timeout(stream ? config.UPSTREAM_STREAM_TIMEOUT_MS : config.UPSTREAM_TIMEOUT_MS),
        clientUrl: c.req.url,
      },
      config,
    );
  } catch (err) {
    if (err instanceof DOMException && err.name === "TimeoutError") {
      // The call was sent and the provider may still be working on it, and billing it: its cost is unknown.
      c.executionCtx.waitUntil(settle(NO_USAGE, "ceiling"));
      throw new ApiError(504, "The upstream provider did not answer in time.", { code: "upstream_timeout" });
    }
    // Nothing reached a provider that could bill it (not configured, connection refused): the hold goes back.
    release("released");
    if (err instanceof ProviderUnavailable) {
      console.error(JSON.stringify({ level: "error", msg: err.message, requestId: c.get("requestId") }));
      throw new ApiError(503, `The provider for "${String(o.body.model ?? target.upstreamModel)}" is not configured on this guard.`, {
        code: "provider_unavailable",
      });
    }
    throw new ApiError(502, "The upstream provider could not be reached.", { code: "upstream_unreachable" });
  }
  const upstreamMs = performance.now() - upstreamStarted;
  const guardMs = upstreamStarted - o.started - o.ledgerMs;
  log.set({ status: upstream.status, guardMs: round(guardMs), ledgerMs: round(o.ledgerMs), upstreamMs: round(upstreamMs) });
  headers.set("Server-Timing", serverTiming({ guard: guardMs, ledger: o.ledgerMs, upstream: upstreamMs }));
  headers.set("content-type", upstream.headers.get("content-type") ?? "application/json");
  const upstreamId = upstream.headers.get("x-request-id") ?? upstream.headers.get("request-id");
  if (upstreamId) headers.set("x-upstream-request-id", upstreamId);

  if (!upstream.ok) {
    // Upstream errors cost nothing: give the hold back and pass the provider's error through,
    // minus any provider credential it echoes (some APIs quote the key they were sent).
    release("released");
    return new Response(redactSecrets(await upstream.text(), config), { status: upstream.status, headers });
  }

  const dialect = DIALECT_USAGE[ROUTE_DIALECT[spec.route]];
  // No usage from the provider: an exact count where the guard can measure the call, else the ceiling.
  const settleUnknown = async (generated: string, counted: "partial" | "estimated", replay?: Replay, ref?: ResponseRef | null) => {
    const u = await unknownUsage(o.measure, generated, counted);
    return settle(u.usage, u.outcome, replay, ref);
  };

  if (stream && upstream.body) {
    const tracker = dialect.tracker(spec.route, { hideUsageChunk: !prepared.clientWantsUsage });
    const tracked = trackStream(upstream.body, tracker);
    c.executionCtx.waitUntil(
      tracked.done.then(async (end) => {
        log.text("completion", () => tracker.generatedText());
        const usage = tracker.usage();
        const ref = tracker.responseRef?.() ?? null;
        if (usage && end === "complete") return settle(usage, "ok", undefined, ref);
        // Cut short after the usage event: the provider's figure stands. A background job goes on upstream
        // after its stream is cut, so its cost is unknown: the ceiling.
        if (usage) return settle(usage, background ? "ceiling" : "partial", undefined, ref);
        // Cut before usage (client gone, upstream broke or timed out), or a stream that never reported it.
        return settleUnknown(tracker.generatedText(), "partial", undefined, ref);
      }),
    );
    return new Response(tracked.body, { status: upstream.status, headers });
  }

  let text: string;
  try {
    text = await upstream.text();
  } catch (err) {
    // The answer broke off (or timed out) after the provider accepted the call: its cost is unknown.
    c.executionCtx.waitUntil(settle(NO_USAGE, "ceiling"));
    if (err instanceof DOMException && err.name === "TimeoutError") {
      throw new ApiError(504, "The upstream provider did not answer in time.", { code: "upstream_timeout" });
    }
    throw new ApiError(502, "The upstream provider's answer was cut off.", { code: "upstream_unreachable" });
  }
  log.text("completion", () => text);
  let usage: Usage | null = null;
  let ref: ResponseRef | null = null;
  try {
    const json: unknown = JSON.parse(text);
    usage = dialect.fromJson(spec.route, json);
    ref = dialect.responseRef?.(spec.route, json) ?? null;
  } catch {
    usage = null;
  }
  if (background && ref && stillRunning(ref.status)) {
    // The `queued` reply carries no real usage: the tenant object polls the job to its end and settles then.
    c.executionCtx.waitUntil(handOff(ref, usage));
    return new Response(text, { status: upstream.status, headers });
  }
  const replay =
    ledger?.idempotent && text.length <= MAX_REPLAY_BYTES
      ? { status: upstream.status, contentType: headers.get("content-type") ?? "application/json", body: text }
      : undefined;
  // No usage block (malformed or missing): counted exactly (input plus the whole answer) where measurable, else the ceiling.
  c.executionCtx.waitUntil(usage ? settle(usage, "ok", replay, ref) : settleUnknown(text, "estimated", replay, ref));
  return new Response(text, { status: upstream.status, headers });
}

/** Replaces every configured provider secret in `text`. */
export function redactSecrets(text: string, config: Config): string {
  let out = text;
  for (const name of ["ADMIN_TOKEN", ...providerSecretNames(config)]) {
    const secret = config.secret(name);
    if (secret && secret.length >= 8) out = out.split(secret).join("[redacted]");
  }
  return out;
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
