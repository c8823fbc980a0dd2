/**
 * Admin API schemas: request bodies reuse the budget config schemas, so the
 * OpenAPI document and the validation are the same objects.
 */
import { z } from "@hono/zod-openapi";
import {
  featureInputSchema as featureInput,
  limitsSchema as limits,
  subjectIdSchema,
  tenantIdSchema,
  tenantInputSchema as tenantInput,
  userInputSchema as userInput,
} from "../budget/tenant-config";

// Named (`.openapi(name)`) so the OpenAPI document has them as components and generated clients get named types.
/** Daily and monthly limits in USD; `null` is explicitly unlimited. */
export const limitsSchema = limits.openapi("Limits");
/** A tenant's fields as PUT and PATCH accept them. */
export const tenantInputSchema = tenantInput.openapi("TenantInput");
/** `PUT /tenants/{t}/users/{u}` body. */
export const userInputSchema = userInput.openapi("UserInput");
/** `PUT /tenants/{t}/features/{f}` body. */
export const featureInputSchema = featureInput.openapi("FeatureInput");

/** `{t}` path parameter. */
export const tenantParams = z.object({ t: tenantIdSchema });
/** `{t}` and `{u}` path parameters. */
export const userParams = z.object({ t: tenantIdSchema, u: subjectIdSchema });
/** `{t}` and `{f}` path parameters. */
export const featureParams = z.object({ t: tenantIdSchema, f: subjectIdSchema });
/** `{t}` and `{id}` path parameters. */
export const keyParams = z.object({ t: tenantIdSchema, id: z.string().regex(/^key_[A-Za-z0-9]{16}$/, "not a key id") });

/** `POST /tenants/{t}/keys` body. */
export const createKeySchema = z
  .object({
    name: z.string().min(1).max(200),
    role: z.enum(["user", "service", "admin"]),
    userId: subjectIdSchema.optional(),
    feature: subjectIdSchema.optional(),
    expiresAt: z.iso.datetime({ offset: true }).optional(),
  })
  .strict()
  .refine((k) => k.role !== "user" || k.userId !== undefined, { message: "user keys need a userId", path: ["userId"] })
  .refine((k) => k.role === "user" || k.role === "service" || (k.userId === undefined && k.feature === undefined), {
    message: "admin keys are not bound to a user or feature",
    path: ["role"],
  })
  .openapi("CreateKeyRequest");

/** A key as listed. */
export const keyInfoSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    role: z.enum(["user", "service", "admin"]),
    userId: z.string().nullable(),
    feature: z.string().nullable(),
    createdAt: z.string(),
    expiresAt: z.string().nullable(),
    revokedAt: z.string().nullable(),
  })
  .openapi("Key");

/** A key as created: the only time the plaintext is shown. */
export const createdKeySchema = keyInfoSchema.extend({ key: z.string() }).openapi("CreatedKey");

const maybeUsd = z.number().nullable();
const priceOverride = z.object({
  input: z.number(),
  output: z.number(),
  cachedInput: z.number().optional(),
  cacheWrite: z.number().optional(),
  cacheWrite1h: z.number().optional(),
  audioInput: z.number().optional(),
});

/** A tenant as returned: its stored configuration with every default filled in (fields added later pass through). */
export const tenantSchema = z
  .looseObject({
    id: z.string(),
    name: z.string(),
    limits: limitsSchema,
    softLimitPct: z.number(),
    userDefaults: limitsSchema,
    tiers: z.record(z.string(), limitsSchema),
    degrade: z.record(z.string(), z.string()),
    minOutputTokens: z.number(),
    onHardLimit: z.enum(["error", "message"]),
    blockStatus: z.union([z.literal(429), z.literal(402)]),
    upgradeMessage: z.string().nullable(),
    mode: z.enum(["enforce", "shadow"]),
    alertWebhook: z.string().nullable(),
    onSpike: z.enum(["alert", "freeze"]),
    alertThresholds: z.array(z.number()),
    spikeFloorUsd: z.number(),
    timezone: z.string(),
    prices: z.record(z.string(), priceOverride),
    maxRequestUsd: maybeUsd,
    requireDeclaredFeatures: z.boolean(),
    forwardHeaders: z.array(z.string()),
    plan: z.record(z.string(), z.number()).optional(),
    webhookSecret: z.string().optional().describe("The alert webhook's signing secret: only in the response that created the tenant"),
    frozenAt: z.string().optional().describe("Set while a spend spike froze the tenant (onSpike: freeze)"),
    frozenReason: z.string().optional(),
  })
  .openapi("Tenant");

/** The admin API's error body. */
export const errorSchema = z
  .object({
    error: z.object({ message: z.string(), code: z.string(), details: z.unknown().optional() }),
  })
  .openapi("AdminError");

/** Standard error responses for the OpenAPI document. */
export const errorResponses = {
  400: { description: "Validation failed; `details` names each failing field", content: { "application/json": { schema: errorSchema } } },
  401: { description: "Missing or invalid credentials", content: { "application/json": { schema: errorSchema } } },
  403: { description: "The caller's role may not do this", content: { "application/json": { schema: errorSchema } } },
  404: { description: "No such tenant or resource", content: { "application/json": { schema: errorSchema } } },
} as const;
