/**
 * Admin API schemas: request bodies reuse the budget config schemas, so the
 * OpenAPI document and the validation are the same objects.
 */
import { z } from "@hono/zod-openapi";
import { tenantIdSchema, subjectIdSchema } from "../budget/tenant-config";

export { tenantInputSchema, userInputSchema, featureInputSchema, limitsSchema } from "../budget/tenant-config";

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
  });

/** A key as listed. */
export const keyInfoSchema = z.object({
  id: z.string(),
  name: z.string(),
  role: z.enum(["user", "service", "admin"]),
  userId: z.string().nullable(),
  feature: z.string().nullable(),
  createdAt: z.string(),
  expiresAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
});

/** A key as created: the only time the plaintext is shown. */
export const createdKeySchema = keyInfoSchema.extend({ key: z.string() });

/** A tenant as returned. */
export const tenantSchema = z.looseObject({ id: z.string() });

/** The admin API's error body. */
export const errorSchema = z.object({
  error: z.object({ message: z.string(), code: z.string(), details: z.unknown().optional() }),
});

/** Standard error responses for the OpenAPI document. */
export const errorResponses = {
  400: { description: "Validation failed; `details` names each failing field", content: { "application/json": { schema: errorSchema } } },
  401: { description: "Missing or invalid credentials", content: { "application/json": { schema: errorSchema } } },
  403: { description: "The caller's role may not do this", content: { "application/json": { schema: errorSchema } } },
  404: { description: "No such tenant or resource", content: { "application/json": { schema: errorSchema } } },
} as const;
