/**
 * The edge of the LLM routes: credential, content type, size cap, JSON and
 * schema validation, and the ids that attribute a call. Everything here fails
 * with a 4xx before any budget is touched.
 */
import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import { credentialOf, parseKey } from "../auth/keys";
import { SUBJECT_ID } from "../budget/tenant-config";
import { ApiError } from "../errors";
import type { Body, RouteSpec } from "./routes/spec";

/**
 * A guard key from the request, checked for shape only (the tenant's object verifies it). `dialectKey`
 * is where the route's dialect carries it otherwise (Gemini `x-goog-api-key`, Azure `api-key`).
 */
export function requireGuardKey(c: Context<AppEnv>, dialectKey?: string | null): { key: string; tenantId: string } {
  const key = credentialOf(c.req.raw.headers) ?? dialectKey ?? null;
  if (!key) {
    throw new ApiError(401, "Missing API key: send your guard key as `Authorization: Bearer <key>` or `x-api-key`.", {
      code: "missing_api_key",
    });
  }
  const parsed = parseKey(key);
  if (!parsed) throw new ApiError(401, "Invalid API key.", { code: "invalid_api_key" });
  return { key, tenantId: parsed.tenantId };
}

/** Reads the body as text within the size cap, without trusting Content-Length alone. */
export async function readBody(c: Context<AppEnv>, maxBytes: number): Promise<string> {
  const type = c.req.header("content-type") ?? "";
  if (!/^application\/json\b/i.test(type.trim())) {
    throw new ApiError(415, "Send the request body as JSON with `Content-Type: application/json`.", { code: "unsupported_media_type" });
  }
  const declared = Number(c.req.header("content-length") ?? "");
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge(maxBytes);
  const body = c.req.raw.body;
  if (!body) return "";
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => {});
      throw tooLarge(maxBytes);
    }
    chunks.push(value);
  }
  const all = new Uint8Array(size);
  let at = 0;
  for (const ch of chunks) {
    all.set(ch, at);
    at += ch.byteLength;
  }
  return new TextDecoder().decode(all);
}

function tooLarge(maxBytes: number): ApiError {
  return new ApiError(413, `Request body is larger than the guard's limit of ${maxBytes} bytes.`, { code: "request_too_large" });
}

/**
 * Deepest JSON nesting a body may have (the top-level object is depth 1). Every later step
 * (schema validation, content walks, JSON.stringify of tool data) may recurse on the body, so
 * a body 20,000 levels deep used to end in a 500; no provider request needs more than ~10.
 */
export const MAX_JSON_DEPTH = 64;

/**
 * Whether `root` nests objects/arrays deeper than `max`. Iterative (an explicit stack, no
 * recursion, so any depth is safe) and linear in the number of values; it stops at the first
 * container past `max`.
 */
export function jsonDepthExceeds(root: unknown, max: number): boolean {
  const values: unknown[] = [root];
  const depths: number[] = [1];
  while (values.length > 0) {
    const value = values.pop();
    const depth = depths.pop()!;
    if (typeof value !== "object" || value === null) continue;
    if (depth > max) return true;
    const children = Array.isArray(value) ? value : Object.values(value);
    for (const child of children) {
      if (typeof child === "object" && child !== null) {
        values.push(child);
        depths.push(depth + 1);
      }
    }
  }
  return false;
}

/** Parses and validates a body against the route's schema; the first failing field is named. */
export function parseBody(text: string, spec: RouteSpec): Body {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ApiError(400, "The request body is not valid JSON.", { code: "invalid_json" });
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new ApiError(400, "The request body must be a JSON object.", { code: "invalid_request" });
  }
  if (jsonDepthExceeds(json, MAX_JSON_DEPTH)) {
    throw new ApiError(
      400,
      `The request body nests JSON more than ${MAX_JSON_DEPTH} levels deep; flatten it (no provider API needs that depth).`,
      { code: "input_too_deep", param: "body" },
    );
  }
  const parsed = spec.schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue?.path.join(".") || "body";
    const missing =
      issue?.code === "invalid_type" && (json as Record<string, unknown>)[String(issue.path[0])] === undefined && issue.path.length === 1;
    throw new ApiError(
      400,
      missing ? `Missing required parameter: '${path}'.` : `Invalid value for '${path}': ${issue?.message ?? "invalid"}.`,
      {
        code: missing ? "missing_required_parameter" : "invalid_value",
        param: path,
      },
    );
  }
  return parsed.data;
}

/** A user or feature id from a header or body, validated (they reach storage keys and headers). */
export function subjectId(value: string | null | undefined, what: string): string | null {
  if (value === null || value === undefined || value === "") return null;
  if (!SUBJECT_ID.test(value)) {
    throw new ApiError(400, `Invalid ${what}: ids are 1-128 characters of letters, digits and . _ - @.`, {
      code: "invalid_id",
      param: what,
    });
  }
  return value;
}
