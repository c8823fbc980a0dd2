/**
 * Admin API authentication: the operator's `ADMIN_TOKEN`, or a tenant `admin`
 * key acting on its own tenant only. `user` and `service` keys are refused.
 */
import type { MiddlewareHandler } from "hono";
import type { Actor, AppEnv } from "../app-env";
import { credentialOf, parseKey, secretsEqual, sha256Hex } from "../auth/keys";
import { DEV_ADMIN_TOKEN } from "../config";
import { ApiError } from "../errors";

/** Options for {@link adminAuth}. */
export interface AdminAuthOptions {
  /** Only the operator may call (e.g. creating tenants, the global scope). */
  operatorOnly?: boolean;
  /** Route parameter holding the tenant id a tenant admin must match. */
  tenantParam?: string;
}

const unauthorized = () => new ApiError(401, "Invalid or missing admin credentials.", { code: "unauthorized" });
const forbidden = (why: string) => new ApiError(403, why, { code: "forbidden" });

/** Authenticates the caller and sets `actor`; see {@link AdminAuthOptions}. */
export function adminAuth(opts: AdminAuthOptions = {}): MiddlewareHandler<AppEnv> {
  const { operatorOnly = false, tenantParam = "t" } = opts;
  return async function adminAuthMiddleware(c, next) {
    const config = c.get("config");
    const credential = credentialOf(c.req.raw.headers);
    if (!credential) throw unauthorized();

    const token = config.ADMIN_TOKEN;
    if (token && (await secretsEqual(credential, token))) {
      if (config.ENVIRONMENT === "production" && token === DEV_ADMIN_TOKEN) {
        // The dev token is public (it is in the README); a deployed guard must never accept it.
        console.error(
          JSON.stringify({
            level: "error",
            msg: "refused the dev operator token on a deployed worker; set ADMIN_TOKEN with wrangler secret put",
          }),
        );
        throw unauthorized();
      }
      c.set("actor", { kind: "operator" });
      return next();
    }

    const parsed = parseKey(credential);
    if (!parsed) throw unauthorized();
    const principal = await c.env.TENANT_LEDGER.getByName(parsed.tenantId).whoami(await sha256Hex(credential));
    if (principal === "throttled") {
      throw new ApiError(429, "Too many failed authentication attempts for this tenant; try again in a minute.", {
        code: "too_many_auth_failures",
        headers: { "Retry-After": "60" },
      });
    }
    if (!principal) throw unauthorized();
    if (principal.role !== "admin") throw forbidden("Only tenant admin keys and the operator may use the admin API.");
    if (operatorOnly) throw forbidden("Only the operator may do this.");
    const tenantId = c.req.param(tenantParam);
    if (tenantId !== undefined && tenantId !== parsed.tenantId) throw forbidden("This key may only manage its own tenant.");
    c.set("actor", { kind: "tenant_admin", tenantId: parsed.tenantId, keyId: principal.keyId });
    return next();
  };
}

/** How the audit log names the caller: `operator` or `key:<id>`. */
export function actorName(actor: Actor): string {
  return actor.kind === "operator" ? "operator" : `key:${actor.keyId}`;
}
