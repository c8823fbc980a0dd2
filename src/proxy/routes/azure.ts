/**
 * Azure OpenAI's HTTP surface on the guard, so the OpenAI SDK's `AzureOpenAI`
 * client (and anything speaking Azure's REST shape) works by pointing its
 * endpoint at the guard:
 *
 * - `POST /openai/deployments/{deployment}/chat/completions?api-version=…`
 * - `POST /openai/deployments/{deployment}/embeddings?api-version=…`
 * - `POST /openai/deployments/{deployment}/responses?api-version=…`, and
 *   `POST /openai/responses?api-version=…` with the deployment as `model`
 *   (what the SDK sends for Responses).
 *
 * The guard key comes as `api-key` (the SDK's header) or `Authorization`.
 * The deployment is routed as `azure/<deployment>` (providers/azure.ts),
 * priced as the model the operator maps it to; an unmapped one is a 400
 * naming it. With the mock on, a deployment named like a mock model
 * (`mock-small`) is served by the mock, so the SDK runs offline.
 */
import { Hono, type Context, type Next } from "hono";
import { z } from "zod";
import type { AppEnv } from "../../app-env";
import type { Config } from "../../config";
import { ApiError } from "../../errors";
import { lookupModel } from "../../pricing/cost";
import { llmHandler } from "../guard";
import { DEPLOYMENT_NAME, findDeployment } from "../providers/azure-config";
import { chatRoute } from "./chat";
import { embeddingsRoute } from "./embeddings";
import { responsesRoute } from "./responses";
import type { Body, RouteSpec } from "./spec";

const DEPLOYMENT_PATH = /^\/openai\/deployments\/([^/]+)\//;

/** The model the guard routes for `deployment`. */
export function deploymentModel(deployment: string, config: Config): string {
  if (!DEPLOYMENT_NAME.test(deployment)) {
    throw new ApiError(400, `Invalid deployment name "${deployment.slice(0, 80)}".`, { code: "invalid_value", param: "deployment" });
  }
  if (findDeployment(config.AZURE_OPENAI, deployment)) return `azure/${deployment}`;
  if (config.MOCK_PROVIDER && lookupModel(deployment)?.provider === "mock") return deployment;
  throw new ApiError(
    400,
    `Azure deployment "${deployment}" is not mapped to a model on this guard; the operator lists it in AZURE_OPENAI deployments.`,
    { code: "deployment_not_found", param: "deployment" },
  );
}

function deploymentOf(req: Request, body: Body): string {
  const m = DEPLOYMENT_PATH.exec(new URL(req.url).pathname);
  if (m) {
    try {
      return decodeURIComponent(m[1]!);
    } catch {
      throw new ApiError(400, "The deployment in the path is not valid URL encoding.", { code: "invalid_value", param: "deployment" });
    }
  }
  // `/openai/responses`: Azure names the deployment as the body's model.
  return String(body.model);
}

/** Azure bodies may leave out `model` (the path names the deployment); the schemas the guard shares want one. */
function withModel(schema: z.ZodType<Body>): z.ZodType<Body> {
  return z.preprocess(
    (v) => (typeof v === "object" && v !== null && !Array.isArray(v) && (v as Body).model === undefined ? { ...v, model: "deployment" } : v),
    schema,
  );
}

function azureSpec(spec: RouteSpec, modelInBody = false): RouteSpec {
  return {
    ...spec,
    schema: modelInBody ? spec.schema : withModel(spec.schema),
    credential: (req) => req.headers.get("api-key")?.trim() || null,
    modelOf: (req, body, config) => deploymentModel(deploymentOf(req, body), config),
  };
}

/** Azure answers a call without `api-version` with an error; the guard says which parameter is missing. */
async function requireApiVersion(c: Context<AppEnv>, next: Next): Promise<void> {
  const v = c.req.query("api-version");
  if (!v || !/^[A-Za-z0-9._-]{1,64}$/.test(v)) {
    throw new ApiError(400, "Missing or invalid query parameter 'api-version' (e.g. ?api-version=2024-10-21).", {
      code: "missing_required_parameter",
      param: "api-version",
    });
  }
  await next();
}

function unknown(c: Context<AppEnv>): never {
  throw new ApiError(404, `Unknown route ${c.req.method} ${c.req.path}: the guard forwards only the Azure routes it can budget.`, {
    code: "unknown_route",
  });
}

/** `/openai` routes. */
export const azureRoutes = new Hono<AppEnv>()
  .use("/deployments/*", requireApiVersion)
  .use("/responses", requireApiVersion)
  .post("/deployments/:deployment/chat/completions", llmHandler(azureSpec(chatRoute)))
  .post("/deployments/:deployment/embeddings", llmHandler(azureSpec(embeddingsRoute)))
  .post("/deployments/:deployment/responses", llmHandler(azureSpec(responsesRoute)))
  .post("/responses", llmHandler(azureSpec(responsesRoute, true)))
  .all("*", unknown);
