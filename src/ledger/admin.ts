/**
 * The tenant's configuration, as the admin API changes it: the tenant row,
 * users and features. Every change is audited in the same transaction.
 */
import { randomBase62 } from "../auth/keys";
import {
  featureInputSchema,
  mergeTenant,
  replaceTenant,
  userInputSchema,
  type FeatureConfig,
  type TenantConfig,
  type TenantInput,
  type UserConfig,
} from "../budget/tenant-config";
import { migrate } from "./schema";
import type { Ledger } from "./state";
import type { TenantRow } from "./storage";

/** The tenant (cached), or null when the object holds none. */
export function tenant(l: Ledger): TenantRow | null {
  if (!l.state.schemaReady) return null;
  if (l.state.tenant === undefined) l.state.tenant = l.store.tenant();
  return l.state.tenant;
}

/** Creates or replaces the tenant (PUT): absent fields take their defaults. */
export function putTenant(
  l: Ledger,
  tenantId: string,
  input: TenantInput,
  actor: string,
): { tenantId: string; config: TenantConfig; created: boolean; webhookSecret: string | null } {
  if (!l.state.schemaReady) {
    migrate(l.ctx.storage.sql);
    l.state.schemaReady = true;
  }
  const now = Date.now();
  const config = replaceTenant(tenantId, input);
  const before = tenant(l);
  // The webhook signing secret is made once, at creation, and shown in that response only.
  const webhookSecret = before ? null : `whsec_${randomBase62(32)}`;
  l.ctx.storage.transactionSync(() => {
    l.store.saveTenant(tenantId, config, now);
    if (webhookSecret) l.store.setWebhookSecret(webhookSecret);
    l.store.audit({
      at: now,
      actor,
      action: before ? "tenant.replace" : "tenant.create",
      target: tenantId,
      before: before?.config ?? null,
      after: config,
    });
  });
  l.state.tenant = undefined;
  return { tenantId, config, created: before === null, webhookSecret };
}

/** Merges fields into the tenant (PATCH); null when the tenant does not exist. */
export function patchTenant(l: Ledger, input: TenantInput, actor: string): { tenantId: string; config: TenantConfig } | null {
  const t = tenant(l);
  if (!t) return null;
  const now = Date.now();
  const config = mergeTenant(t.config, input);
  l.ctx.storage.transactionSync(() => {
    l.store.saveTenant(t.tenantId, config, now);
    l.store.audit({ at: now, actor, action: "tenant.update", target: t.tenantId, before: t.config, after: config });
  });
  l.state.tenant = undefined;
  return { tenantId: t.tenantId, config };
}

/** The tenant's configuration, or null when it does not exist. */
export function getTenant(l: Ledger): { tenantId: string; config: TenantConfig; frozen: { at: number; reason: string } | null } | null {
  const t = tenant(l);
  return t ? { tenantId: t.tenantId, config: t.config, frozen: t.frozen } : null;
}

/** Deletes the tenant and all its data; its keys stop working at once. */
export async function deleteTenant(l: Ledger): Promise<boolean> {
  if (!tenant(l)) return false;
  await l.ctx.storage.deleteAlarm();
  await l.ctx.storage.deleteAll();
  l.state.forgetTenant();
  // The object lives on (its id is the tenant's name): give it an empty schema for a re-created tenant.
  migrate(l.ctx.storage.sql);
  return true;
}

/** Stores a user's tier and overrides. */
export function putUser(l: Ledger, userId: string, input: UserConfig, actor: string): UserConfig | null {
  if (!tenant(l)) return null;
  const config = userInputSchema.parse(input);
  const now = Date.now();
  l.ctx.storage.transactionSync(() => {
    const before = l.store.user(userId) ?? null;
    l.store.saveUser(userId, config, now);
    l.store.audit({ at: now, actor, action: "user.put", target: userId, before, after: config });
  });
  return config;
}

/** Stores a feature's limits. */
export function putFeature(l: Ledger, feature: string, input: FeatureConfig, actor: string): FeatureConfig | null {
  if (!tenant(l)) return null;
  const config = featureInputSchema.parse(input);
  const now = Date.now();
  l.ctx.storage.transactionSync(() => {
    const before = l.store.feature(feature) ?? null;
    l.store.saveFeature(feature, config, now);
    l.store.audit({ at: now, actor, action: "feature.put", target: feature, before, after: config });
  });
  return config;
}

/** Lifts a spike freeze. */
export function unfreeze(l: Ledger, actor: string): boolean {
  const t = tenant(l);
  if (!t?.frozen) return false;
  const now = Date.now();
  l.ctx.storage.transactionSync(() => {
    l.store.setFrozen(null);
    l.store.audit({ at: now, actor, action: "tenant.unfreeze", target: t.tenantId, before: t.frozen, after: null });
  });
  l.state.tenant = undefined;
  return true;
}
