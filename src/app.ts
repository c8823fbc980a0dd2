/**
 * The Hono app: health, the LLM routes under `/v1`, the admin API under
 * `/admin/v1`, the dashboard under `/admin/ui`. One `onError` renders every
 * failure in the route's dialect and never echoes internal errors.
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { AppEnv } from "./app-env";
import { adminRoutes } from "./admin";
import { appLayerRoutes } from "./app-layer";
import { ConfigError, loadConfig } from "./config";
import { dashboardRoutes } from "./dashboard";
import { ApiError, dialectOf, errorBody } from "./errors";
import { memoized } from "./openapi/document";
import { v1Document } from "./openapi/v1-document";
import { proxyRoutes } from "./proxy";
import { azureRoutes } from "./proxy/routes/azure";
import { geminiModelRoute, geminiRoutes } from "./proxy/routes/gemini";

/**
 * The guard's HTTP app. An OpenAPIHono so that an OpenAPIHono sub-app mounted under `/v1` lands in
 * its registry, which `GET /v1/openapi.json` reads (src/openapi/v1-document.ts).
 */
export const app = new OpenAPIHono<AppEnv>();

app.get("/health", (c) => c.json({ status: "ok" }));

app.use("*", async function requestContext(c, next) {
  c.set("requestId", crypto.randomUUID());
  c.set("config", loadConfig(c.env));
  await next();
  c.header("x-request-id", c.get("requestId"));
});

const v1OpenApi = memoized(() => v1Document(app));
// Before the proxy's catch-all 404; unauthenticated, like /health and the admin document.
app.get("/v1/openapi.json", (c) => c.json(v1OpenApi()));
// The application layer before the proxy, whose `/v1/*` catch-all answers 404.
// Gemini's `models/{model}:{method}` under /v1 (the @google/genai default), before the OpenAI routes' 404.
app.post("/v1/models/*", geminiModelRoute);
app.route("/v1", appLayerRoutes);
app.route("/v1", proxyRoutes);
app.route("/v1beta", geminiRoutes);
app.route("/openai", azureRoutes);
app.route("/admin/v1", adminRoutes);
app.route("/admin/ui", dashboardRoutes);

app.notFound((c) => {
  throw new ApiError(404, `Unknown route ${c.req.method} ${c.req.path}.`, { code: "unknown_route" });
});

app.onError((err, c) => {
  const dialect = c.req.header("anthropic-version") && !c.req.path.startsWith("/admin/") ? "anthropic" : dialectOf(c.req.path);
  let status: ContentfulStatusCode;
  let body: unknown;
  let headers: Record<string, string> = {};
  if (err instanceof ApiError) {
    status = err.status as ContentfulStatusCode;
    body = errorBody(dialect, status, err);
    headers = err.headers;
  } else if (err instanceof HTTPException) {
    status = err.status as ContentfulStatusCode;
    body = errorBody(dialect, status, {
      message: err.message || "Bad request.",
      code: "bad_request",
      type: "invalid_request_error",
      param: null,
      details: undefined,
    });
  } else {
    const requestId = c.get("requestId") ?? "unknown";
    // Internal details go to the log, keyed by request id; the client gets the id only.
    console.error(
      JSON.stringify({ level: "error", msg: "unhandled error", requestId, error: err instanceof ConfigError ? err.message : String(err) }),
    );
    status = err instanceof ConfigError ? 503 : 500;
    body = errorBody(dialect, status, {
      message: `The guard failed to handle this request (request id ${requestId}).`,
      code: err instanceof ConfigError ? "guard_misconfigured" : "internal_error",
      type: "api_error",
      param: null,
      details: undefined,
    });
  }
  c.get("log")?.emit({ status, decision: status >= 500 ? "error" : undefined, code: err instanceof ApiError ? err.code : undefined });
  const res = c.json(body, status);
  for (const [k, v] of Object.entries(headers)) res.headers.set(k, v);
  const requestId = c.get("requestId");
  if (requestId) res.headers.set("x-request-id", requestId);
  return res;
});
