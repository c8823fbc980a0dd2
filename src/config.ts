/**
 * Env bindings, vars and secrets, validated once per isolate with zod. A
 * misconfigured guard refuses traffic (fail closed) rather than guessing.
 */
import { z } from "zod";
import type { Env } from "./env";
import { azureResourcesSchema } from "./proxy/providers/azure-config";

const flag = z.enum(["on", "off", "true", "false", "1", "0"]).transform((v) => v === "on" || v === "true" || v === "1");

const configSchema = z.object({
  ENVIRONMENT: z.enum(["production", "development", "test"]).default("production"),
  MOCK_PROVIDER: flag.default(false),
  ADMIN_TOKEN: z.string().min(1).optional(),
  OPENAI_API_KEY: z.string().min(1).optional(),
  ANTHROPIC_API_KEY: z.string().min(1).optional(),
  OPENAI_BASE_URL: z.string().url().default("https://api.openai.com/v1"),
  ANTHROPIC_BASE_URL: z.string().url().default("https://api.anthropic.com/v1"),
  /** Google's Gemini API key (a secret): what the guard sends upstream, never the caller's guard key. */
  GEMINI_API_KEY: z.string().min(1).optional(),
  /** Gemini API origin; the guard appends `/v1beta/models/{model}:{method}` (the version the client used). */
  GEMINI_BASE_URL: z.string().url().default("https://generativelanguage.googleapis.com"),
  /** Azure OpenAI resources and their deployments (a JSON array in a var; see src/proxy/providers/azure-config.ts). */
  AZURE_OPENAI: azureResourcesSchema,
  /** OpenAI-compatible providers by name: a JSON array in a var, addressed as `name/model`. */
  PROVIDERS: z.preprocess(
    (v) => {
      if (typeof v !== "string") return v ?? [];
      try {
        return JSON.parse(v) as unknown;
      } catch {
        return v;
      }
    },
    z.array(
      z
        .object({
          name: z.string().regex(/^[a-z0-9-]{1,32}$/),
          baseUrl: z.string().url(),
          dialect: z.literal("openai").default("openai"),
          keySecret: z.string().regex(/^[A-Z0-9_]{1,64}$/),
        })
        .strict(),
    ),
  ),
  /** Per-request detail is kept this many days; daily history too. */
  DETAIL_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(90),
  /** Monthly history is kept this many months. */
  HISTORY_RETENTION_MONTHS: z.coerce.number().int().min(1).max(120).default(13),
  /** The operator's alert webhook: every tenant's alerts are also POSTed here. */
  ALERT_WEBHOOK: z.string().url().optional(),
  /** HMAC secret for the operator's webhook (a secret, not a var). */
  ALERT_WEBHOOK_SECRET: z.string().min(1).optional(),
  /** Operator opt-in: when the ledger cannot be reached, forward unmetered (and log each such request loudly). */
  FAIL_OPEN: flag.default(false),
  /** Operator opt-in: include prompts and completions in the request log. */
  LOG_PROMPTS: flag.default(false),
  /** Upstream timeout for a non-streaming call, ms (default 2 minutes). */
  UPSTREAM_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .positive()
    .default(2 * 60_000),
  /** Upstream timeout for a whole stream, ms (default 10 minutes). */
  UPSTREAM_STREAM_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .positive()
    .default(10 * 60_000),
  /**
   * Edge allowances (DESIGN "Edge allowances"): `auto` lets a busy subject decide in the isolate; `on`
   * (tests) acquires on a subject's first request, flushes after every settle and returns the allowance
   * when nothing is in flight; `off` reserves every request in the tenant object.
   */
  ALLOWANCES: z.enum(["auto", "on", "off"]).default("auto"),
  /** Largest request body accepted, in bytes (413 above it). */
  MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(8 * 1024 * 1024),
});

/** The validated configuration. */
export type Config = z.infer<typeof configSchema> & {
  /** Secrets by name, for providers whose key lives in a named secret. */
  secret(name: string): string | undefined;
};

/** The dev operator token from `.dev.vars.example`; a deployed worker refuses it. */
export const DEV_ADMIN_TOKEN = "dev-admin-token";

/** Raised when the environment is invalid; rendered as a 500 that names no value. */
export class ConfigError extends Error {
  constructor(readonly fields: string[]) {
    super(`invalid configuration: ${fields.join(", ")}`);
  }
}

const cache = new WeakMap<object, Config>();

/** Parses `env` once per env object (one per isolate in production). */
export function loadConfig(env: Env): Config {
  const hit = cache.get(env);
  if (hit) return hit;
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) throw new ConfigError(parsed.error.issues.map((i) => i.path.join(".")));
  const config: Config = {
    ...parsed.data,
    secret: (name) => {
      const v = env[name];
      return typeof v === "string" && v.length > 0 ? v : undefined;
    },
  };
  cache.set(env, config);
  return config;
}
