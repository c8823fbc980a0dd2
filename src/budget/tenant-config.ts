/**
 * Tenant, user and feature configuration: the zod schemas the admin API
 * validates against and the canonical stored shapes (defaults applied), so the
 * ledger never re-validates on the hot path.
 */
// From @hono/zod-openapi, not zod: admin/schemas.ts names these schemas with `.openapi()`; built with plain zod,
// a test that imported this module before the worker loaded got schemas without it ("openapi is not a function").
import { z } from "@hono/zod-openapi";
import { isValidTimeZone } from "./windows";

/** Tenant ids: 1–64 of a-z, 0-9 and `-` (they appear in keys and object names). */
export const TENANT_ID = /^[a-z0-9-]{1,64}$/;
/** User and feature ids: 1–128 of letters, digits and `. _ - @` (an email is a fine user id). */
export const SUBJECT_ID = /^[A-Za-z0-9._@-]{1,128}$/;

export const tenantIdSchema = z.string().regex(TENANT_ID, "tenant ids are 1-64 characters of a-z, 0-9 and -");
export const subjectIdSchema = z.string().regex(SUBJECT_ID, "ids are 1-128 characters of letters, digits and . _ - @");

const usd = z.number().finite().nonnegative().max(1_000_000_000);

/** Daily and monthly hard limits in USD; `null` means explicitly unlimited. */
export const limitsSchema = z.object({ daily: usd.nullable().optional(), monthly: usd.nullable().optional() }).strict();

const pct = z.number().gt(0).lte(1);

/** A month key, `YYYY-MM` (month 01–12). */
export const MONTH_KEY = /^\d{4}-(0[1-9]|1[0-2])$/;

/** Monthly plan: `YYYY-MM` → the month's limit in USD (positive, finite), overriding the static monthly limit for that month. */
export const planSchema = z
  .record(z.string().regex(MONTH_KEY, "plan months are YYYY-MM"), z.number().finite().positive().max(1_000_000_000))
  .refine((p) => Object.keys(p).length <= 120, "a plan holds at most 120 months");
export type Plan = z.infer<typeof planSchema>;

/**
 * A committed-use discount (operator only): `monthlyUsd` committed per month,
 * `discountPct` off every call as a percent (25 = 25% off), to the basis point.
 */
export const commitmentSchema = z
  .object({
    monthlyUsd: z.number().finite().positive().max(1_000_000_000),
    discountPct: z
      .number()
      .gt(0)
      .lt(100)
      .refine((p) => Math.abs(p * 100 - Math.round(p * 100)) < 1e-6, "discountPct is a percent with at most 2 decimals (basis points)"),
  })
  .strict();
export type Commitment = z.infer<typeof commitmentSchema>;

const priceSchema = z
  .object({
    input: usd,
    output: usd,
    cachedInput: usd.optional(),
    cacheWrite: usd.optional(),
    /** Anthropic 1-hour cache write; left out, it follows the table's ratio to input. */
    cacheWrite1h: usd.optional(),
    /** Audio input per 1M tokens; left out, it follows the table (or the model has none). */
    audioInput: usd.optional(),
  })
  .strict();

const modelName = z.string().min(1).max(200);

/** The most one call may cost, in USD; `null` (the default) sets no per-call bound at this level. */
const maxRequestUsd = usd.nullable().optional();

/** Client headers that change billing; they reach the provider only when the tenant's `forwardHeaders` lists them. */
export const BILLING_HEADERS = ["openai-organization", "openai-project", "anthropic-beta"] as const;
export type BillingHeader = (typeof BILLING_HEADERS)[number];

/** Every field of a tenant as the admin API accepts it (all optional: PUT fills defaults, PATCH merges). */
export const tenantInputSchema = z
  .object({
    name: z.string().min(1).max(200).optional(),
    limits: limitsSchema.optional(),
    softLimitPct: pct.optional(),
    userDefaults: limitsSchema.optional(),
    tiers: z
      .record(z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, "tier names are 1-64 of letters, digits and . _ -"), limitsSchema)
      .optional(),
    degrade: z.record(modelName, modelName).optional(),
    minOutputTokens: z.number().int().min(1).max(1_000_000).optional(),
    onHardLimit: z.enum(["error", "message"]).optional(),
    blockStatus: z.union([z.literal(429), z.literal(402)]).optional(),
    upgradeMessage: z.string().max(1000).optional(),
    mode: z.enum(["enforce", "shadow"]).optional(),
    alertWebhook: z.string().url().max(2000).nullable().optional(),
    onSpike: z.enum(["alert", "freeze"]).optional(),
    /** Soft-alert thresholds as fractions of each hard limit; default: each scope's softLimitPct. */
    alertThresholds: z.array(pct).max(10).optional(),
    /** Below this hourly spend (USD) a spike pages no one. */
    spikeFloorUsd: usd.optional(),
    timezone: z.string().refine(isValidTimeZone, "not an IANA time zone name").optional(),
    prices: z.record(modelName, priceSchema).optional(),
    /** Bounds one call (the smallest of tenant, user and feature applies); also what an unboundable call is reserved at. */
    maxRequestUsd,
    /** When true, a feature named by X-Budget-Feature must have been declared with PUT features (else 403). */
    requireDeclaredFeatures: z.boolean().optional(),
    /** Billing-relevant client headers passed to the provider (lower case); default none. */
    forwardHeaders: z.array(z.enum(BILLING_HEADERS)).max(BILLING_HEADERS.length).optional(),
    /** Monthly plan (operator only): named months' limits over `limits.monthly`. */
    plan: planSchema.optional(),
    /** Committed-use discount (operator only); null removes it. */
    commitment: commitmentSchema.nullable().optional(),
  })
  .strict();

export type TenantInput = z.infer<typeof tenantInputSchema>;
export type Limits = z.infer<typeof limitsSchema>;
export type PriceOverride = z.infer<typeof priceSchema>;

/** A tenant's stored configuration, every default filled in. */
export interface TenantConfig {
  name: string;
  limits: Limits;
  softLimitPct: number;
  userDefaults: Limits;
  tiers: Record<string, Limits>;
  degrade: Record<string, string>;
  minOutputTokens: number;
  onHardLimit: "error" | "message";
  blockStatus: 429 | 402;
  upgradeMessage: string | null;
  mode: "enforce" | "shadow";
  alertWebhook: string | null;
  onSpike: "alert" | "freeze";
  alertThresholds: number[];
  spikeFloorUsd: number;
  timezone: string;
  prices: Record<string, PriceOverride>;
  maxRequestUsd: number | null;
  requireDeclaredFeatures: boolean;
  forwardHeaders: BillingHeader[];
  /** Absent on tenants stored before plans existed: read as no plan. */
  plan?: Plan;
  /** Calls are priced net of its discount; absent (tenants stored before commitments) or null: none. */
  commitment?: Commitment | null;
}

/** The defaults an absent field takes (DESIGN "Admin API"). */
export function tenantDefaults(tenantId: string): TenantConfig {
  return {
    name: tenantId,
    limits: {},
    softLimitPct: 0.8,
    userDefaults: {},
    tiers: {},
    degrade: {},
    minOutputTokens: 256,
    onHardLimit: "error",
    // 402, not 429: no client in the matrix retries a 402, while the AI SDK retries every 429
    // twice whatever x-should-retry says (test/clients/no-retry-on-block.test.ts).
    blockStatus: 402,
    upgradeMessage: null,
    mode: "enforce",
    alertWebhook: null,
    onSpike: "alert",
    alertThresholds: [],
    spikeFloorUsd: 1,
    timezone: "UTC",
    prices: {},
    maxRequestUsd: null,
    requireDeclaredFeatures: false,
    forwardHeaders: [],
  };
}

/** PUT semantics: the input over the defaults. */
export function replaceTenant(tenantId: string, input: TenantInput): TenantConfig {
  return mergeTenant(tenantDefaults(tenantId), input);
}

/** PATCH semantics: the input over the current config, field by field. */
export function mergeTenant(current: TenantConfig, input: TenantInput): TenantConfig {
  const next: TenantConfig = { ...current };
  for (const [k, v] of Object.entries(input) as [keyof TenantInput, unknown][]) {
    if (v === undefined) continue;
    (next as unknown as Record<string, unknown>)[k] = v;
  }
  return next;
}

/** A user's own settings: a tier name, limit overrides, per-feature limits for this user. */
export const userInputSchema = z
  .object({
    tier: z.string().max(64).nullable().optional(),
    limits: limitsSchema.optional(),
    softLimitPct: pct.optional(),
    featureLimits: z.record(z.string().regex(SUBJECT_ID), limitsSchema).optional(),
    maxRequestUsd,
  })
  .strict();
export type UserConfig = z.infer<typeof userInputSchema>;

/** A feature's own limits. */
export const featureInputSchema = z
  .object({
    limits: limitsSchema.optional(),
    softLimitPct: pct.optional(),
    maxRequestUsd,
    /** Monthly plan: named months' limits over `limits.monthly`. */
    plan: planSchema.optional(),
  })
  .strict();
export type FeatureConfig = z.infer<typeof featureInputSchema>;
