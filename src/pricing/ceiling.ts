/**
 * Reserve-time pricing: the rates a call is bounded at, from what the guard
 * can see before it forwards (its input bound, the tier and cache TTL it asks
 * for, whether it carries audio, its bounded built-in tool calls).
 *
 * Consistency with settlement: the returned `rates` are the full rates
 * (every tier, the long-context tier, the tool fees) and are what the
 * reservation stores; `usageCost(reported, rates)` at settle time picks the
 * tier the provider reports and the long-context tier by the input it
 * reports. For any usage within the bounds (input ≤ inputTokens, output ≤ the
 * cap, tool units ≤ toolCalls, served at the tier asked for) the settled cost
 * is ≤ inputTokens × input + outputCap × output + toolFees: each input token is
 * bounded at the dearest unit it can become, the long-context tier is chosen
 * by the input bound (actual input ≤ bound can only select the same or the
 * cheaper tier), and the tier multiplier and rounding are the same.
 */
import { lookupModel, ratesOf, scaled, STANDARD_TIERS, tierRates, type Rates } from "./cost";
import { SETTLES_AS, toolFeesFor } from "./tools";
import type { ModelInfo, ModelPrice } from "./types";

/** What the guard knows about a call before forwarding it. */
export interface CallShape {
  /** Upper bound of the call's total input tokens (text, images, files, audio, context, tool content). */
  inputTokens: number;
  /** `service_tier` (or Anthropic `speed: "fast"` as "fast") the request asks for; null for the default. */
  serviceTier?: string | null;
  /** Longest prompt-cache TTL the request marks; null when it marks none. */
  cacheTtl?: "5m" | "1h" | null;
  /** True when the input carries audio. */
  audio?: boolean;
  /** Bounded built-in tool units by fee key, e.g. `{ web_search: 5 }` (see billing.ts). */
  toolCalls?: Readonly<Record<string, number>>;
}

/** The rates a call is reserved at. */
export interface Ceiling {
  /** Full rates to store with the reservation and settle with (`usageCost(usage, rates)`). */
  rates: Rates;
  /** micro-USD per 1M input tokens: every input token at the dearest unit it can be billed as. */
  input: number;
  /** micro-USD per 1M output tokens at the call's tier. */
  output: number;
  /** Fees of the bounded tool units, micro-USD. */
  toolFees: number;
}

/** A unit of the call that has no price: the reserve step refuses the call with 400 unpriced_unit naming it. */
export interface Unpriced {
  unpriced: string;
}

/**
 * The rates a call to `model` at `price` (the tenant's resolved price) is
 * bounded at, or the first unit that has no price.
 */
export function ceilingRates(model: string, price: ModelPrice, call: CallShape): Ceiling | Unpriced {
  const info: ModelInfo | undefined = lookupModel(model);
  const fees = info ? toolFeesFor(info.provider, info.hiddenReasoning) : {};
  const tier = call.serviceTier ?? null;
  let m = 1;
  if (tier !== null && !STANDARD_TIERS.has(tier)) {
    const known = price.serviceTiers?.[tier];
    if (known === undefined) {
      return { unpriced: `service_tier "${tier}" on ${model} (no price is known for that tier; leave service_tier out or use "default")` };
    }
    m = known;
  }

  // Fees stored for settlement are keyed by the unit usage reports; the variants a call declares
  // (web_search_preview, a bigger container, free code execution) set their unit's fee to the
  // dearest of them.
  const stored: Record<string, number> = { ...fees };
  const declared: Record<string, number> = {};
  let toolFees = 0;
  for (const [key, n] of Object.entries(call.toolCalls ?? {})) {
    const fee = fees[key];
    if (fee === undefined) return { unpriced: `built-in tool "${key}" on ${model} (no per-call fee is known for it)` };
    toolFees += fee * Math.max(0, Math.ceil(n));
    const unit = SETTLES_AS[key] ?? key;
    declared[unit] = Math.max(declared[unit] ?? 0, fee);
  }
  Object.assign(stored, declared);

  const rates = ratesOf(price, stored);
  const t = tierRates(rates, call.inputTokens);
  if (call.cacheTtl === "1h" && t.cacheWrite1h === undefined) {
    return { unpriced: `1-hour prompt-cache writes (cache_control ttl "1h") on ${model}; use the default 5-minute TTL` };
  }
  if (call.audio && t.audioInput === undefined) {
    return { unpriced: `audio input on ${model} (the model has no audio price; send audio to an audio model)` };
  }
  const candidates = [t.input, t.cachedInput];
  if (call.cacheTtl || info?.implicitCacheWrites) candidates.push(t.cacheWrite);
  if (call.cacheTtl === "1h" && t.cacheWrite1h !== undefined) candidates.push(t.cacheWrite1h);
  if (call.audio && t.audioInput !== undefined) candidates.push(t.audioInput);
  return { rates, input: scaled(Math.max(...candidates), m), output: scaled(t.output, m), toolFees };
}
