/**
 * Azure OpenAI: the OpenAI dialect on deployments of a resource
 * (`azure-config.ts`), addressed as `azure/<deployment>` and priced as the
 * model the deployment runs. Chat and embeddings go to
 * `{endpoint}/openai/deployments/{deployment}/…?api-version=…`, Responses to
 * `{endpoint}/openai/responses?api-version=…` with the deployment as `model`
 * (Azure's shape). The `api-version` is the client's (it decides the answer's
 * shape); the key is the resource's secret, sent as `api-key`. No `retrieve`:
 * a background Responses job on Azure settles at its ceiling.
 */
import type { Config } from "../../config";
import { azureEndpoint, deploymentOf, findDeployment } from "./azure-config";
import { allowedClientHeaders, ProviderUnavailable, ROUTE_PATH, RoutingError, type Provider, type UpstreamCall } from "./types";

/** The Azure provider module. */
export const azure: Provider = {
  name: "azure",
  routes: ["chat", "embeddings", "responses"],
  async send(call: UpstreamCall, config: Config): Promise<Response> {
    const found = findDeployment(config.AZURE_OPENAI, call.model);
    if (!found) throw new ProviderUnavailable(`Azure deployment ${call.model} is not configured`);
    const key = config.secret(found.resource.keySecret);
    if (!key) throw new ProviderUnavailable(`provider azure has no API key (secret ${found.resource.keySecret})`);
    const version = call.clientUrl ? new URL(call.clientUrl).searchParams.get("api-version") : null;
    const base = azureEndpoint(found.resource);
    const path = call.route === "responses" ? "/openai/responses" : `/openai/deployments/${encodeURIComponent(call.model)}${ROUTE_PATH[call.route]}`;
    const url = `${base}${path}${version ? `?api-version=${encodeURIComponent(version)}` : ""}`;
    const headers = new Headers({ "content-type": "application/json", "api-key": key });
    allowedClientHeaders(call, ["openai-organization", "openai-project"], headers);
    return fetch(url, { method: "POST", headers, body: JSON.stringify({ ...call.body, model: call.model }), signal: call.signal });
  },
  priceKeyOf(deployment: string, config: Config): string {
    const found = findDeployment(config.AZURE_OPENAI, deployment);
    if (!found) {
      throw new RoutingError(`Azure deployment "${deployment}" is not mapped to a model; the operator lists it in AZURE_OPENAI deployments.`);
    }
    return found.model;
  },
  upstreamFor: (model, config) => deploymentOf(config.AZURE_OPENAI, model),
  secretNames: (config) => config.AZURE_OPENAI.map((r) => r.keySecret),
};
