/** The admin API under `/admin/v1`, with its OpenAPI document generated from the route schemas. */
import { adminDocument } from "../openapi/admin-document";
import { memoized } from "../openapi/document";
import { adminApp } from "./app";
import { burstRoutes } from "./bursts";
import { globalRoutes } from "./global";
import { keyRoutes } from "./keys";
import { reallocationRoutes } from "./reallocations";
import { reportRoutes } from "./reports";
import { subjectRoutes } from "./subjects";
import { tenantRoutes } from "./tenants";
import { windowRoutes } from "./windows";

/** All admin routes. */
export const adminRoutes = adminApp()
  .route("/", tenantRoutes)
  .route("/", keyRoutes)
  .route("/", subjectRoutes)
  .route("/", reportRoutes)
  .route("/", burstRoutes)
  .route("/", reallocationRoutes)
  .route("/", globalRoutes)
  .route("/", windowRoutes);

const openApiDocument = memoized(() => adminDocument(adminRoutes));

// OpenAPI 3.1 (src/openapi): servers, security schemes, an operationId on every route. Unauthenticated, like /health.
adminRoutes.get("/openapi.json", (c) => c.json(openApiDocument()));
