/**
 * A typed OpenAPIHono for the application layer's routes. They live under
 * `/v1` and speak its dialect: a failed validation is the OpenAI-shaped 400
 * the LLM routes give (`param` names the first failing field, the message all
 * of them), and a body that is not JSON is a 415, as there.
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import type { Context, Next } from "hono";
import type { z } from "zod";
import type { AppEnv } from "../app-env";
import { ApiError } from "../errors";

function invalid(error: z.ZodError): ApiError {
  const fields = error.issues.map((i) => ({ field: i.path.join(".") || "body", message: i.message }));
  const first = fields[0];
  return new ApiError(400, `Invalid request: ${fields.map((f) => `${f.field}: ${f.message}`).join("; ")}.`, {
    code: "invalid_value",
    param: first?.field ?? null,
  });
}

/** Creates an application-layer sub-app; every route file uses this so failures render alike. */
export function appLayerApp(): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) throw invalid(result.error);
    },
  });
}

/**
 * Route middleware for routes with a JSON body: anything else is a 415 (without it, the validator
 * would see an empty object and answer with a misleading 400). Per route, not `use("*")`: the
 * sub-app is mounted on `/v1`, where a wildcard would run before every LLM route too.
 */
export async function requireJson(c: Context<AppEnv>, next: Next): Promise<void> {
  const type = c.req.header("content-type") ?? "";
  if (!/^application\/json\b/i.test(type.trim())) {
    throw new ApiError(415, "Send the request body as JSON with `Content-Type: application/json`.", { code: "unsupported_media_type" });
  }
  await next();
}
