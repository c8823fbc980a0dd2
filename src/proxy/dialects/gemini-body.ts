/**
 * Gemini request bodies in one spelling. Google's REST API is proto JSON: it
 * accepts every field as lowerCamelCase or as its proto name in snake_case
 * (`generationConfig` and `generation_config`, `inlineData` and `inline_data`;
 * Google's own curl samples use both). The guard reads and rewrites fields
 * (the output cap, parts to bound), so a field it reads in one spelling must
 * not reach Google in the other: before validation, the structural fields are
 * renamed to camelCase, and a body that sets both spellings of one field is a
 * 400 (which one Google would read is not the guard's to guess).
 *
 * Only structure is renamed: free-form values (function arguments and
 * responses, JSON schemas, safety settings) pass through untouched.
 */
import { ApiError } from "../../errors";

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

const camel = (k: string) => k.replace(/_([a-z0-9])/g, (_, ch: string) => ch.toUpperCase());

/** A copy of `o` with its snake_case keys in camelCase; both spellings of one key → 400 naming it. */
function renamed(o: Json, path: string): Json {
  const out: Json = {};
  for (const [k, v] of Object.entries(o)) {
    const key = k.includes("_") ? camel(k) : k;
    if (key !== k && Object.hasOwn(o, key)) {
      throw new ApiError(400, `Both '${path}${k}' and '${path}${key}' are set; send the field once.`, {
        code: "invalid_value",
        param: `${path}${key}`,
      });
    }
    out[key] = v;
  }
  return out;
}

/** Renames the object at `o[field]` (when it is one) with `inner` applied to its result. */
function at(o: Json, field: string, path: string, inner: (v: Json, p: string) => Json = renamed): void {
  const v = o[field];
  if (isObj(v)) o[field] = inner(v, `${path}${field}.`);
}

/** Renames each object of the array at `o[field]`. */
function each(o: Json, field: string, path: string, inner: (v: Json, p: string) => Json): void {
  const v = o[field];
  if (Array.isArray(v)) o[field] = v.map((item, i) => (isObj(item) ? inner(item, `${path}${field}[${i}].`) : item));
}

function part(p: Json, path: string): Json {
  const out = renamed(p, path);
  at(out, "inlineData", path);
  at(out, "fileData", path);
  return out;
}

function content(c: Json, path: string): Json {
  const out = renamed(c, path);
  each(out, "parts", path, part);
  return out;
}

function generationConfig(g: Json, path: string): Json {
  const out = renamed(g, path);
  at(out, "thinkingConfig", path);
  return out;
}

/** A generateContent / streamGenerateContent body (also the `generateContentRequest` of countTokens). */
export function normaliseGenerateBody(body: Json, path = ""): Json {
  const out = renamed(body, path);
  each(out, "contents", path, content);
  at(out, "systemInstruction", path, content);
  at(out, "generationConfig", path, generationConfig);
  each(out, "tools", path, renamed);
  return out;
}

/** An embedContent body, or a batchEmbedContents body (`requests`). */
export function normaliseEmbedBody(body: Json, path = ""): Json {
  const out = renamed(body, path);
  at(out, "content", path, content);
  each(out, "requests", path, (r, p) => {
    const req = renamed(r, p);
    at(req, "content", p, content);
    return req;
  });
  return out;
}

/** A countTokens body: `contents`, or a whole `generateContentRequest`. */
export function normaliseCountBody(body: Json): Json {
  const out = normaliseGenerateBody(body);
  at(out, "generateContentRequest", "", (v, p) => normaliseGenerateBody(v, p));
  return out;
}

/** Wraps a normaliser for `z.preprocess`: anything not an object passes through for the schema to refuse. */
export function preprocessWith(f: (b: Json) => Json): (v: unknown) => unknown {
  return (v) => (isObj(v) ? f(v) : v);
}
