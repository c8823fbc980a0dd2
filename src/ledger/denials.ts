/**
 * The reservation's refusals that are not budget blocks: each a 4xx saying what
 * was refused, with the figures, and what to do about it. No alert and no final
 * message: nothing was spent and retrying later does not help.
 */
import { formatUsd } from "./scopes";
import type { ReserveResult } from "./types";

/** A refusal as the ledger returns it. */
export type Denied = Extract<ReserveResult, { status: "denied" }>;

const deny = (httpStatus: Denied["httpStatus"], code: string, message: string): Denied => ({ status: "denied", httpStatus, code, message });

/** A model with no price at all. */
export function modelNotPriced(model: string, tenantId: string): Denied {
  return deny(
    400,
    "model_not_priced",
    `No price is known for model "${model}", so the guard cannot budget it. ` +
      `The operator can price it for this tenant with PATCH /admin/v1/tenants/${tenantId} ` +
      `{"prices": {"${model}": {"input": <USD per 1M>, "output": <USD per 1M>}}}, or set a fallback price under "*".`,
  );
}

/** A part of the input the guard cannot bound, and no maxRequestUsd to reserve instead. */
export function unboundedInput(part: string): Denied {
  return deny(
    400,
    "unbounded_input",
    `The guard cannot bound the cost of ${part}. Send the content inline, or set maxRequestUsd on the tenant, ` +
      `user or feature to allow such calls; they are then reserved at that amount in full.`,
  );
}

/** A unit the call can be billed for has no price. */
export function unpricedUnit(model: string, unit: string, tenantId: string): Denied {
  return deny(
    400,
    "unpriced_unit",
    `The guard has no price for ${unit}, so it cannot bound this call to "${model}" (it never prices a billed unit at $0). ` +
      `Remove it from the request, or the operator can price it for this tenant with PATCH /admin/v1/tenants/${tenantId} {"prices": ...}.`,
  );
}

/** Not even the smallest acceptable version of the call fits the per-call bound. */
export function requestCostLimit(needed: number, limit: number, inFull: boolean): Denied {
  const why = inFull
    ? `Part of its input cannot be bounded, so it is reserved at maxRequestUsd (${formatUsd(limit)}) in full, which leaves no room for the smallest allowed output.`
    : `It needs at least ${formatUsd(needed)} (its input plus the smallest allowed output), over the per-request limit of ${formatUsd(limit)} (maxRequestUsd).`;
  return deny(
    400,
    "request_cost_limit_exceeded",
    `This call cannot fit the per-request cost limit. ${why} Shorten the input or lower the output cap.`,
  );
}

/** A feature named by header that the tenant has not declared, under requireDeclaredFeatures. */
export function undeclaredFeature(feature: string, tenantId: string): Denied {
  return deny(
    403,
    "undeclared_feature",
    `Feature "${feature}" is not declared for this tenant, which only accepts declared features. ` +
      `An admin declares it with PUT /admin/v1/tenants/${tenantId}/features/${feature}.`,
  );
}

/** The same Idempotency-Key on a different request. */
export function idempotencyKeyReused(): Denied {
  return deny(
    422,
    "idempotency_key_reused",
    "This Idempotency-Key was used for a different request (another user, route or body); use a new key.",
  );
}
