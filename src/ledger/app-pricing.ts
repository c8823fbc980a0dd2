/**
 * Pricing of the token counts an application reports (a commit's `usage`, a
 * usage record's): at the tenant's price for the model, through the same
 * `priceCall` a reservation uses, so a committed-use discount and every
 * billed unit apply alike. A model without a price is a 400, never $0.
 */
import { netBpsOf } from "../budget/commitment";
import type { TenantConfig } from "../budget/tenant-config";
import { resolvePrice, usageCost, type Rates, type Usage } from "../pricing/cost";
import type { AppDenied, AppUsage } from "./app-types";
import { modelNotPriced, unpricedUnit } from "./denials";
import { priceCall } from "./reserve-price";

/** Reported usage in the ledger's normalised shape. */
export function usageOf(u: AppUsage | undefined): Usage {
  return {
    inputTokens: u?.inputTokens ?? 0,
    cachedInputTokens: u?.cachedInputTokens ?? 0,
    cacheWriteTokens: u?.cacheWriteTokens ?? 0,
    outputTokens: u?.outputTokens ?? 0,
  };
}

/** The rates `u` settles at, or the 400 for a model or unit without a price. */
export function usageRates(cfg: TenantConfig, tenantId: string, u: AppUsage): { rates: Rates } | AppDenied {
  const p = resolvePrice(u.model, cfg.prices);
  if (!p) return { ...modelNotPriced(u.model, tenantId), param: "usage.model" };
  const call = priceCall(
    u.model,
    p.price,
    {
      requestId: "",
      keyHash: "",
      userId: null,
      bodyUserId: null,
      feature: null,
      model: u.model,
      kind: "chat",
      inputTokens: (u.inputTokens ?? 0) + (u.cachedInputTokens ?? 0) + (u.cacheWriteTokens ?? 0),
      inputExact: true,
      requestedMaxTokens: u.outputTokens,
      idempotent: false,
      finalMessageEligible: false,
      streaming: false,
    },
    0,
    netBpsOf(cfg.commitment),
  );
  if ("unpriced" in call) return { ...unpricedUnit(u.model, call.unpriced, tenantId), param: "usage" };
  return { rates: call.rates };
}

/** The net cost of `u` in micro-USD, or the 400 for an unpriced model. */
export function usagePrice(cfg: TenantConfig, tenantId: string, u: AppUsage): { rates: Rates; cost: number } | AppDenied {
  const r = usageRates(cfg, tenantId, u);
  return "rates" in r ? { rates: r.rates, cost: usageCost(usageOf(u), r.rates) } : r;
}

/** What the usage report's model column shows for application-layer spend: `source`, or `source/model`. */
export function reportedAs(source: string, model: string | null): string {
  return model ? `${source}/${model}` : source;
}
