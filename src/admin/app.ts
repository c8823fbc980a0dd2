/** A typed OpenAPIHono whose validation failures become the admin API's 400. */
import { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../app-env";
import { validationError } from "./validation";

/** Creates an admin sub-app; every route file uses this so failures render alike. */
export function adminApp(): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) throw validationError(result.error);
    },
  });
}
