/**
 * OpenAI, and any OpenAI-compatible API: the same request shape against a
 * base URL, authenticated with a bearer key held in a secret.
 */
import type { Config } from "../../config";
import { allowedClientHeaders, ProviderUnavailable, ROUTE_PATH, type Provider, type RouteKind, type UpstreamCall } from "./types";

/** Options for an OpenAI-dialect provider. */
export interface OpenAICompatibleOptions {
  name: string;
  /** Reads the base URL from the validated config. */
  baseUrl: (config: Config) => string;
  /** Name of the secret that holds the API key. */
  keySecret: string;
  routes?: readonly RouteKind[];
}

/** Builds a provider module for an OpenAI-dialect API. */
export function openAICompatible(opts: OpenAICompatibleOptions): Provider {
  return {
    name: opts.name,
    routes: opts.routes ?? ["chat", "responses", "embeddings"],
    async send(call: UpstreamCall, config: Config): Promise<Response> {
      const key = config.secret(opts.keySecret);
      if (!key) throw new ProviderUnavailable(`provider ${opts.name} has no API key (secret ${opts.keySecret})`);
      const headers = new Headers({ "content-type": "application/json", authorization: `Bearer ${key}` });
      // Organisation and project headers move billing to another account: only the tenant's allow-list passes them.
      allowedClientHeaders(call, ["openai-organization", "openai-project"], headers);
      return fetch(opts.baseUrl(config).replace(/\/+$/, "") + ROUTE_PATH[call.route], {
        method: "POST",
        headers,
        body: JSON.stringify({ ...call.body, model: call.model }),
        signal: call.signal,
      });
    },
    async retrieve(route: RouteKind, id: string, config: Config, sent: Readonly<Record<string, string>> = {}): Promise<Response> {
      const key = config.secret(opts.keySecret);
      if (!key) throw new ProviderUnavailable(`provider ${opts.name} has no API key (secret ${opts.keySecret})`);
      const headers = new Headers({ authorization: `Bearer ${key}` });
      // A response made under an organisation or project header is only found under the same one.
      for (const h of ["openai-organization", "openai-project"]) if (sent[h]) headers.set(h, sent[h]);
      const url = `${opts.baseUrl(config).replace(/\/+$/, "")}${ROUTE_PATH[route]}/${encodeURIComponent(id)}`;
      return fetch(url, { headers, signal: AbortSignal.timeout(30_000) });
    },
  };
}

/** OpenAI itself. */
export const openai = openAICompatible({
  name: "openai",
  baseUrl: (c) => c.OPENAI_BASE_URL,
  keySecret: "OPENAI_API_KEY",
});
