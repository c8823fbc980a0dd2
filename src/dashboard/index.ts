/**
 * `GET /admin/ui` and every view under it (`/admin/ui/tenants/{t}`, …): the
 * dashboard's page with a strict policy. The script and style are static
 * assets; a request reaching the worker under the asset prefix names a file
 * that does not exist.
 */
import { Hono } from "hono";
import type { AppEnv } from "../app-env";
import { ApiError } from "../errors";
import { ASSET_PREFIX, PAGE_HTML, SECURITY_HEADERS } from "./page";

/** The dashboard routes, mounted at `/admin/ui`. */
export const dashboardRoutes = new Hono<AppEnv>();

dashboardRoutes.get("/*", function dashboardPage(c) {
  if (c.req.path.startsWith(ASSET_PREFIX)) {
    throw new ApiError(404, `No dashboard asset ${c.req.path}.`, { code: "unknown_route" });
  }
  // The page holds no data (the script fetches it with the signed-in token); no-cache revalidates it after a deploy.
  return c.html(PAGE_HTML, 200, { ...SECURITY_HEADERS, "cache-control": "no-cache" });
});
