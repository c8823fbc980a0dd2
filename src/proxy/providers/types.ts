/**
 * The provider interface. Each provider is a small module listed in the
 * registry: it builds and sends the upstream request for a route. Reading
 * usage is the job of the dialect the provider answers in (`../dialects`),
 * so a new OpenAI-compatible provider needs no parsing code at all.
 */
import type { Config } from "../../config";

/**
 * The LLM routes the guard serves. Gemini's `generateContent` covers `streamGenerateContent` too
 * (the stream flag says which); `embedContent` covers `batchEmbedContents` (the body says which).
 */
export type RouteKind = "chat" | "responses" | "embeddings" | "messages" | "generateContent" | "embedContent";

/** The wire dialect of a route. */
export type WireDialect = "openai" | "anthropic" | "gemini";

/** The dialect each route speaks. */
export const ROUTE_DIALECT: Record<RouteKind, WireDialect> = {
  chat: "openai",
  responses: "openai",
  embeddings: "openai",
  messages: "anthropic",
  generateContent: "gemini",
  embedContent: "gemini",
};

/** Upstream path of each route, relative to a provider's base URL (Gemini's: after `/models/{model}`). */
export const ROUTE_PATH: Record<RouteKind, string> = {
  chat: "/chat/completions",
  responses: "/responses",
  embeddings: "/embeddings",
  messages: "/messages",
  generateContent: ":generateContent",
  embedContent: ":embedContent",
};

/** One upstream call, already rewritten by the guard (model, output cap, usage options). */
export interface UpstreamCall {
  route: RouteKind;
  /** Model id as the upstream knows it (no `provider/` prefix). */
  model: string;
  body: Record<string, unknown>;
  stream: boolean;
  /** The client's headers, for provider options such as `anthropic-version` and the mock's test headers. */
  clientHeaders: Headers;
  /**
   * Client headers that change billing (`openai-organization`, `openai-project`, `anthropic-beta`) which the
   * tenant's `forwardHeaders` allow through, lower case. Any such header not listed never reaches the provider.
   */
  forwardHeaders: readonly string[];
  signal: AbortSignal;
  /** The client's request URL, for what a dialect carries there (Azure `api-version`, Gemini's API version). */
  clientUrl?: string;
}

/** A token count the provider answers for free (Gemini `countTokens`): no reservation, no settlement. */
export interface CountCall {
  model: string;
  body: Record<string, unknown>;
  clientHeaders: Headers;
  clientUrl: string;
  signal: AbortSignal;
}

/** A provider module. */
export interface Provider {
  /** Registry name, also the `name/` model prefix that addresses it explicitly. */
  readonly name: string;
  /** Routes it serves. */
  readonly routes: readonly RouteKind[];
  /** Sends the call and returns the upstream response as is. */
  send(call: UpstreamCall, config: Config): Promise<Response>;
  /**
   * Reads a stored response back (`GET {base}/responses/{id}`), for the ledger's polling of background jobs.
   * A provider without it cannot run background calls metered: they settle at their ceiling.
   */
  retrieve?(route: RouteKind, id: string, config: Config, headers?: Readonly<Record<string, string>>): Promise<Response>;
  /**
   * The price key of a model addressed as `name/upstreamModel`, when the provider knows it better than the
   * name (an Azure deployment is priced as the model it runs). Throws RoutingError for one it cannot price.
   */
  priceKeyOf?(upstreamModel: string, config: Config): string;
  /** The upstream model that serves priced model `priceKey` here (an Azure deployment of it), for degrade; undefined: none. */
  upstreamFor?(priceKey: string, config: Config): string | undefined;
  /** Counts a request's tokens upstream without generating (free on the provider's side). */
  countTokens?(call: CountCall, config: Config): Promise<Response>;
  /** Names of the secrets the provider sends upstream, redacted from anything it echoes. */
  secretNames?(config: Config): readonly string[];
}

/** Copies the client headers among `names` that the call's allow-list lets through. */
export function allowedClientHeaders(call: UpstreamCall, names: readonly string[], into: Headers): void {
  for (const h of names) {
    const v = call.forwardHeaders.includes(h) ? call.clientHeaders.get(h) : null;
    if (v) into.set(h, v);
  }
}

/** Raised when a provider cannot be used (e.g. its key secret is missing): the call is refused, not sent blind. */
export class ProviderUnavailable extends Error {}

/** Why a model cannot be routed (an unknown provider, an unmapped Azure deployment); rendered as a 400. */
export class RoutingError extends Error {}
