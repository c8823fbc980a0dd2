/**
 * Google's Gemini API (generativelanguage.googleapis.com): generateContent,
 * streamGenerateContent with `alt=sse`, embedContent / batchEmbedContents and
 * countTokens, authenticated with the operator's key from the `GEMINI_API_KEY`
 * secret in `x-goog-api-key`. The caller's guard key (`x-goog-api-key` or
 * `?key=` on the guard) is never forwarded: the URL and headers are built here.
 */
import type { Config } from "../../config";
import { ProviderUnavailable, type CountCall, type Provider, type UpstreamCall } from "./types";

const KEY_SECRET = "GEMINI_API_KEY";

/** `v1beta` or `v1`, as the client called the guard (the SDK's default is v1beta). */
function versionOf(clientUrl: string | undefined): string {
  const m = clientUrl ? /^\/(v1beta|v1)\//.exec(new URL(clientUrl).pathname) : null;
  return m?.[1] ?? "v1beta";
}

function endpoint(config: Config, clientUrl: string | undefined, model: string, method: string): string {
  return `${config.GEMINI_BASE_URL.replace(/\/+$/, "")}/${versionOf(clientUrl)}/models/${encodeURIComponent(model)}:${method}`;
}

function headersFor(config: Config): Headers {
  const key = config.secret(KEY_SECRET);
  if (!key) throw new ProviderUnavailable(`provider gemini has no API key (secret ${KEY_SECRET})`);
  return new Headers({ "content-type": "application/json", "x-goog-api-key": key });
}

/** The upstream method and body of a call: a batch embeds each request under the model actually called. */
function methodAndBody(call: UpstreamCall): { method: string; body: Record<string, unknown> } {
  if (call.route === "embedContent") {
    const requests = call.body.requests;
    if (!Array.isArray(requests)) return { method: "embedContent", body: call.body };
    const model = `models/${call.model}`;
    return {
      method: "batchEmbedContents",
      body: { ...call.body, requests: requests.map((r) => (typeof r === "object" && r !== null ? { ...r, model } : r)) },
    };
  }
  return { method: call.stream ? "streamGenerateContent?alt=sse" : "generateContent", body: call.body };
}

/** The Gemini provider module. */
export const gemini: Provider = {
  name: "gemini",
  routes: ["generateContent", "embedContent"],
  async send(call: UpstreamCall, config: Config): Promise<Response> {
    const headers = headersFor(config);
    const { method, body } = methodAndBody(call);
    return fetch(endpoint(config, call.clientUrl, call.model, method), {
      method: "POST",
      headers,
      body: JSON.stringify(body),
      signal: call.signal,
    });
  },
  async countTokens(call: CountCall, config: Config): Promise<Response> {
    const headers = headersFor(config);
    const body = { ...call.body };
    const inner = body.generateContentRequest;
    // Google wants the model named inside a whole request too; it must be the one counted.
    if (typeof inner === "object" && inner !== null) body.generateContentRequest = { ...inner, model: `models/${call.model}` };
    return fetch(endpoint(config, call.clientUrl, call.model, "countTokens"), {
      method: "POST",
      headers,
      body: JSON.stringify(body),
      signal: call.signal,
    });
  },
  secretNames: () => [KEY_SECRET],
};
