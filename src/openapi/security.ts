/**
 * Security schemes of the two OpenAPI documents, and the requirements routes
 * name. Every credential is a bearer token; the schemes differ in who holds
 * it, so generated clients can tell an operator call from a tenant admin call.
 */

/** A security requirement: scheme name → scopes (always none here). */
export type SecurityRequirement = Record<string, string[]>;

/** Admin API schemes: the operator's ADMIN_TOKEN, or a tenant `admin` key. */
export const ADMIN_SECURITY_SCHEMES = {
  operatorToken: {
    type: "http",
    scheme: "bearer",
    description:
      "The operator's ADMIN_TOKEN (`wrangler secret put ADMIN_TOKEN`; `dev-admin-token` under `npm start`). May call every operation.",
  },
  tenantAdminKey: {
    type: "http",
    scheme: "bearer",
    bearerFormat: "bg_<tenant>_<secret>",
    description:
      "A guard key with role `admin`, issued by POST /tenants/{t}/keys. Acts on its own tenant only, and not on operations marked operator-only.",
  },
} as const;

/** Default for admin operations: either credential. */
export const ADMIN_SECURITY: SecurityRequirement[] = [{ operatorToken: [] }, { tenantAdminKey: [] }];

/**
 * For `createRoute({ security })` on routes whose middleware is `adminAuth({ operatorOnly: true })`.
 * test/openapi checks the two agree by calling every operation with a tenant admin key.
 */
export const OPERATOR_ONLY: SecurityRequirement[] = [{ operatorToken: [] }];

/** LLM and application routes: a guard key, as a bearer token or in `x-api-key` (the Anthropic SDK's header). */
export const GUARD_SECURITY_SCHEMES = {
  guardKey: {
    type: "http",
    scheme: "bearer",
    bearerFormat: "bg_<tenant>_<secret>",
    description: "A guard key (`Authorization: Bearer bg_...`), as the OpenAI SDKs send their API key.",
  },
  guardApiKey: {
    type: "apiKey",
    in: "header",
    name: "x-api-key",
    description: "The same guard key in `x-api-key`, as the Anthropic SDKs send theirs.",
  },
} as const;

/** Either way of sending a guard key. */
export const GUARD_SECURITY: SecurityRequirement[] = [{ guardKey: [] }, { guardApiKey: [] }];
