/**
 * `POST /v1beta/models/{model}:countTokens`: free on Google's side, so the
 * guard reserves and settles nothing. It passes the count through from the
 * model's provider (Google's own tokenizer, which the guard only approximates;
 * the mock counts with the guard's), after the tenant's object has accepted
 * the key (one RPC), so the route is no open proxy to the operator's key.
 */
import type { Context } from "hono";
import type { AppEnv } from "../../app-env";
import { sha256Hex } from "../../auth/keys";
import { ApiError } from "../../errors";
import { redactSecrets } from "../forward";
import { routeModel, RoutingError, type ModelRoute } from "../providers/registry";
import { ProviderUnavailable } from "../providers/types";
import { parseBody, readBody, requireGuardKey } from "../request";
import { countSpec, geminiKey } from "./gemini-specs";

/** Handles countTokens for `model`. */
export async function countTokensRoute(c: Context<AppEnv>, model: string): Promise<Response> {
  const config = c.get("config");
  const { key, tenantId } = requireGuardKey(c, geminiKey(c.req.raw));
  const body = parseBody(await readBody(c, config.MAX_BODY_BYTES), countSpec);
  let target: ModelRoute;
  try {
    target = routeModel(model, "generateContent", config);
  } catch (err) {
    if (err instanceof RoutingError) throw new ApiError(400, err.message, { code: "model_not_found", param: "model" });
    throw err;
  }
  const count = target.provider.countTokens;
  if (!count) {
    throw new ApiError(400, `Model "${model}" is served by ${target.provider.name}, which cannot count tokens.`, {
      code: "model_not_found",
      param: "model",
    });
  }
  let who: Awaited<ReturnType<DurableObjectStub<import("../../ledger/tenant-ledger").TenantLedger>["whoami"]>>;
  try {
    who = await c.env.TENANT_LEDGER.getByName(tenantId).whoami(await sha256Hex(key));
  } catch {
    throw new ApiError(503, "The budget ledger could not be reached to check the key; retry shortly.", { code: "ledger_unavailable" });
  }
  if (who === null) throw new ApiError(401, "Invalid API key.", { code: "invalid_api_key" });
  if (who === "throttled") {
    throw new ApiError(429, "Too many failed authentication attempts for this tenant; try again in a minute.", {
      code: "too_many_auth_failures",
      headers: { "x-should-retry": "false", "Retry-After": "60" },
    });
  }
  let upstream: Response;
  try {
    upstream = await count(
      {
        model: target.upstreamModel,
        body,
        clientHeaders: c.req.raw.headers,
        clientUrl: c.req.url,
        signal: AbortSignal.timeout(config.UPSTREAM_TIMEOUT_MS),
      },
      config,
    );
  } catch (err) {
    if (err instanceof ProviderUnavailable) {
      throw new ApiError(503, `The provider for "${model}" is not configured on this guard.`, { code: "provider_unavailable" });
    }
    throw new ApiError(502, "The upstream provider could not be reached.", { code: "upstream_unreachable" });
  }
  return new Response(redactSecrets(await upstream.text(), config), {
    status: upstream.status,
    headers: { "content-type": upstream.headers.get("content-type") ?? "application/json" },
  });
}
