/**
 * What both OpenAPI documents share: version 3.1, one server whose origin is a
 * variable, the security schemes in `components` and a default requirement
 * at the top level (an operation may narrow it with its own `security`).
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { SecurityRequirement } from "./security";

/** Anything that can generate a 3.1 document from its registered routes. */
export interface DocumentSource {
  getOpenAPI31Document: OpenAPIHono["getOpenAPI31Document"];
}

/** A generated OpenAPI 3.1 document. */
export type OpenAPIDocument = ReturnType<OpenAPIHono["getOpenAPI31Document"]>;

/** `components.securitySchemes` of a document. */
export type SecuritySchemes = NonNullable<NonNullable<OpenAPIDocument["components"]>["securitySchemes"]>;

/** Where `npm start` listens; clients set the `origin` variable to their guard's. */
export const DEV_ORIGIN = "http://127.0.0.1:8787";

/** Options for {@link buildDocument}. */
export interface DocumentOptions {
  title: string;
  description: string;
  /** Path prefix every operation's path is relative to, e.g. `/admin/v1`. */
  basePath: string;
  securitySchemes: SecuritySchemes;
  security: SecurityRequirement[];
}

/** Generates the document of `source`'s routes with the shared top-level fields. */
export function buildDocument(source: DocumentSource, opts: DocumentOptions): OpenAPIDocument {
  const doc = source.getOpenAPI31Document({
    openapi: "3.1.0",
    info: { title: opts.title, version: "1", description: opts.description },
    servers: [
      {
        url: `{origin}${opts.basePath}`,
        description: "A budget-guard deployment",
        variables: { origin: { default: DEV_ORIGIN, description: "The guard's origin (scheme, host and port), without a trailing slash" } },
      },
    ],
    security: opts.security,
  });
  const components = { ...doc.components, securitySchemes: { ...doc.components?.securitySchemes, ...opts.securitySchemes } };
  // The generator leaves empty maps (e.g. `parameters: {}`) that say nothing.
  doc.components = Object.fromEntries(Object.entries(components).filter(([, v]) => Object.keys(v ?? {}).length > 0));
  return doc;
}

/** Builds a document once per source: routes are all registered when the worker's modules load. */
export function memoized(build: () => OpenAPIDocument): () => OpenAPIDocument {
  let doc: OpenAPIDocument | undefined;
  return () => (doc ??= build());
}
