import type { Config } from "./config";
import type { Env } from "./env";
import type { RequestLog } from "./proxy/request-log";

/** Who is calling the admin API. */
export type Actor = { kind: "operator" } | { kind: "tenant_admin"; tenantId: string; keyId: string };

/** The Hono app's type: bindings and per-request variables, declared once. */
export interface AppEnv {
  Bindings: Env;
  Variables: {
    requestId: string;
    config: Config;
    actor: Actor;
    /** The LLM request's log line, emitted once (by onError when the request fails). */
    log: RequestLog;
  };
}
