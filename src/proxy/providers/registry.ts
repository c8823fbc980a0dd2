/**
 * Providers as data: the registry maps names to modules, and model routing is
 * a table of prefixes. Shared code never asks "which provider is this?".
 */
import type { Config } from "../../config";
import { lookupModel } from "../../pricing/cost";
import type { Encoding } from "../../pricing/types";
import { anthropicUsage } from "../dialects/anthropic";
import { geminiUsage } from "../dialects/gemini";
import { openaiUsage } from "../dialects/openai";
import type { DialectUsage } from "../dialects/types";
import { anthropic } from "./anthropic";
import { azure } from "./azure";
import { gemini } from "./gemini";
import { mock } from "./mock";
import { openai, openAICompatible } from "./openai";
import { ROUTE_DIALECT, RoutingError, type Provider, type RouteKind, type WireDialect } from "./types";

/** Built-in providers by name (Azure is addressed by deployment: `azure/<deployment>`, or its own routes). */
const BUILT_IN: Readonly<Record<string, Provider>> = { openai, anthropic, gemini, azure, mock };

/** Model prefixes routed without an explicit `provider/`. */
const PREFIXES: readonly (readonly [string, string])[] = [
  ["gpt-", "openai"],
  ["chatgpt-", "openai"],
  ["o1", "openai"],
  ["o3", "openai"],
  ["o4", "openai"],
  ["text-embedding-", "openai"],
  ["claude-", "anthropic"],
  ["gemini-", "gemini"],
  ["mock-", "mock"],
];

/** Usage readers per wire dialect. */
export const DIALECT_USAGE: Readonly<Record<WireDialect, DialectUsage>> = {
  openai: openaiUsage,
  anthropic: anthropicUsage,
  gemini: geminiUsage,
};

/** Where a model goes. */
export interface ModelRoute {
  provider: Provider;
  /** The model id the upstream receives. */
  upstreamModel: string;
  /** The key prices are looked up under (`name/model` for a configured OpenAI-compatible provider). */
  priceKey: string;
  encoding: Encoding;
}

export { RoutingError } from "./types";

const compatibleCache = new WeakMap<Config, Map<string, Provider>>();

/** OpenAI-compatible providers configured by name in the `PROVIDERS` var. */
function configured(config: Config): Map<string, Provider> {
  let m = compatibleCache.get(config);
  if (!m) {
    m = new Map();
    for (const p of config.PROVIDERS) {
      m.set(p.name, openAICompatible({ name: p.name, baseUrl: () => p.baseUrl, keySecret: p.keySecret }));
    }
    compatibleCache.set(config, m);
  }
  return m;
}

/** The provider module registered under `name` (built-in or configured), or undefined. */
export function providerNamed(name: string, config: Config): Provider | undefined {
  if (name === "mock" && !config.MOCK_PROVIDER) return undefined;
  return configured(config).get(name) ?? BUILT_IN[name];
}

/** Routes `model` for `route`: explicit `provider/model`, else by prefix. */
export function routeModel(model: string, route: RouteKind, config: Config): ModelRoute {
  const slash = model.indexOf("/");
  let provider: Provider | undefined;
  let upstreamModel = model;
  let priceKey = model;
  if (slash > 0) {
    const name = model.slice(0, slash);
    provider = providerNamed(name, config);
    if (!provider) throw new RoutingError(`Unknown provider "${name}" in model "${model}".`);
    upstreamModel = model.slice(slash + 1);
    // Built-in providers share the price table; configured ones are priced under their full name; a
    // provider that knows better (an Azure deployment runs a named model) says so itself.
    priceKey = provider.priceKeyOf ? provider.priceKeyOf(upstreamModel, config) : BUILT_IN[name] ? upstreamModel : model;
  } else {
    const hit = PREFIXES.find(([prefix]) => model.startsWith(prefix));
    if (hit?.[1] === "mock" && !config.MOCK_PROVIDER) {
      throw new RoutingError(`The mock provider is off; set MOCK_PROVIDER=on to use "${model}".`);
    }
    provider = hit ? BUILT_IN[hit[1]] : undefined;
    if (!provider) {
      throw new RoutingError(`The guard does not know how to route model "${model}"; name its provider explicitly as "provider/${model}".`);
    }
  }
  if (!provider.routes.includes(route)) {
    throw new RoutingError(
      `Model "${model}" is served by ${provider.name}, which does not speak the ${ROUTE_DIALECT[route]} ${route} route.`,
    );
  }
  return { provider, upstreamModel, priceKey, encoding: (lookupModel(priceKey) ?? lookupModel(upstreamModel))?.encoding ?? "o200k_base" };
}

/**
 * Where a call degraded to `model` goes: to the upstream model of the same provider that serves it
 * when the provider maps models (an Azure deployment of it), else wherever `model` routes by itself.
 */
export function rerouteModel(from: ModelRoute, model: string, route: RouteKind, config: Config): ModelRoute {
  const upstream = from.provider.upstreamFor?.(model, config);
  return routeModel(upstream === undefined ? model : `${from.provider.name}/${upstream}`, route, config);
}

/** Every provider secret the guard may send upstream, so nothing a provider echoes can leak one. */
export function providerSecretNames(config: Config): string[] {
  const names = ["OPENAI_API_KEY", "ANTHROPIC_API_KEY", ...config.PROVIDERS.map((p) => p.keySecret)];
  for (const p of Object.values(BUILT_IN)) names.push(...(p.secretNames?.(config) ?? []));
  return names;
}

/** Every provider name a deployment can route to, for `/v1/models`. */
export function providerNames(config: Config): string[] {
  return [...Object.keys(BUILT_IN).filter((n) => n !== "mock" || config.MOCK_PROVIDER), ...configured(config).keys()];
}
