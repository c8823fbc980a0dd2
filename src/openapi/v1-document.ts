/**
 * The `/v1` OpenAPI document (`GET /v1/openapi.json`): the LLM routes, which
 * are plain Hono handlers described in ./llm-routes, plus every OpenAPIHono
 * route mounted under `/v1` on the app (the application layer), taken from
 * the app's registry so a route mounted there appears without further wiring.
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import { buildDocument, type OpenAPIDocument } from "./document";
import { LLM_HEADERS } from "./llm-headers";
import { llmRoutes } from "./llm-routes";
import { GUARD_SECURITY, GUARD_SECURITY_SCHEMES } from "./security";

/** An app whose registry holds routes with their full paths (`/v1/...`), e.g. the root app. */
export interface RegistrySource {
  openAPIRegistry: OpenAPIHono["openAPIRegistry"];
}

const PREFIX = "/v1";

/** The document of the LLM routes and of the OpenAPI routes `mounted` holds under `/v1`. */
export function v1Document(mounted?: RegistrySource): OpenAPIDocument {
  const docs = new OpenAPIHono();
  const registry = docs.openAPIRegistry;
  for (const [name, header] of Object.entries(LLM_HEADERS)) registry.registerComponent("headers", name, header);
  for (const route of llmRoutes) registry.registerPath(route);
  for (const def of mounted?.openAPIRegistry.definitions ?? []) {
    if (def.type === "route") {
      if (def.route.path.startsWith(`${PREFIX}/`)) registry.registerPath({ ...def.route, path: def.route.path.slice(PREFIX.length) });
    } else if (def.type === "component") {
      registry.registerComponent(def.componentType, def.name, def.component);
    }
    // Named zod schemas need no copying: the generator emits each one a route refers to.
  }
  return buildDocument(docs, {
    title: "budget-guard LLM and application API",
    description:
      "OpenAI- and Anthropic-compatible LLM routes that enforce the caller's budgets, the caller's own budget, and the application layer (reservations and usage recorded outside the gateway). Amounts are USD. Authenticate with a guard key.",
    basePath: PREFIX,
    securitySchemes: GUARD_SECURITY_SCHEMES,
    security: GUARD_SECURITY,
  });
}
