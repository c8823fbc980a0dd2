/** The admin API under `/admin/v1`, with its OpenAPI document generated from the route schemas. */
import { adminApp } from "./app";
import { globalRoutes } from "./global";
import { keyRoutes } from "./keys";
import { reportRoutes } from "./reports";
import { subjectRoutes } from "./subjects";
import { tenantRoutes } from "./tenants";

/** All admin routes. */
export const adminRoutes = adminApp()
  .route("/", tenantRoutes)
  .route("/", keyRoutes)
  .route("/", subjectRoutes)
  .route("/", reportRoutes)
  .route("/", globalRoutes);

adminRoutes.doc("/openapi.json", {
  openapi: "3.0.0",
  info: {
    title: "budget-guard admin API",
    version: "1",
    description:
      "Tenants, users, features, keys and limits. Amounts are USD. Authenticate with the operator's ADMIN_TOKEN or a tenant admin key.",
  },
});
