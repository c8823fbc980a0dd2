/** Anthropic's Messages API. */
import type { Config } from "../../config";
import { allowedClientHeaders, ProviderUnavailable, ROUTE_PATH, type Provider, type UpstreamCall } from "./types";

const DEFAULT_VERSION = "2023-06-01";

/** The Anthropic provider module. */
export const anthropic: Provider = {
  name: "anthropic",
  routes: ["messages"],
  async send(call: UpstreamCall, config: Config): Promise<Response> {
    const key = config.secret("ANTHROPIC_API_KEY");
    if (!key) throw new ProviderUnavailable("provider anthropic has no API key (secret ANTHROPIC_API_KEY)");
    const headers = new Headers({
      "content-type": "application/json",
      "x-api-key": key,
      "anthropic-version": call.clientHeaders.get("anthropic-version") ?? DEFAULT_VERSION,
    });
    // Betas switch on features billed in ways the guard does not model: only the tenant's allow-list passes them.
    allowedClientHeaders(call, ["anthropic-beta"], headers);
    return fetch(config.ANTHROPIC_BASE_URL.replace(/\/+$/, "") + ROUTE_PATH[call.route], {
      method: "POST",
      headers,
      body: JSON.stringify({ ...call.body, model: call.model }),
      signal: call.signal,
    });
  },
};
