/** The admin API's OpenAPI document (`GET /admin/v1/openapi.json`), generated from its route definitions. */
import { buildDocument, type DocumentSource, type OpenAPIDocument } from "./document";
import { ADMIN_SECURITY, ADMIN_SECURITY_SCHEMES } from "./security";

/** The document of every admin route registered on `adminRoutes`. */
export function adminDocument(adminRoutes: DocumentSource): OpenAPIDocument {
  return buildDocument(adminRoutes, {
    title: "budget-guard admin API",
    description:
      "Tenants, users, features, keys, limits and reports. Amounts are USD. Authenticate with the operator's ADMIN_TOKEN or a tenant admin key (operations marked operator-only accept the operator's token alone).",
    basePath: "/admin/v1",
    securitySchemes: ADMIN_SECURITY_SCHEMES,
    security: ADMIN_SECURITY,
  });
}
