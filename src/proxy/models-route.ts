/** `GET /v1/models`: the models the guard can route and price, in OpenAI's list shape. */
import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import { MODELS } from "../pricing/table";
import { requireGuardKey } from "./request";
import { providerNames } from "./providers/registry";

const CREATED = Math.floor(Date.parse("2026-01-01T00:00:00Z") / 1000);

/** Handler for `GET /v1/models`. */
export function modelsRoute(c: Context<AppEnv>): Response {
  requireGuardKey(c);
  const routable = new Set(providerNames(c.get("config")));
  const data = Object.entries(MODELS)
    .filter(([, info]) => routable.has(info.provider))
    .map(([id, info]) => ({ id, object: "model", created: CREATED, owned_by: info.provider }));
  return c.json({ object: "list", data });
}
