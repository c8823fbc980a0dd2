/**
 * Prices one call at reserve time, for every unit it can be billed for: input
 * (at the cache-write rate when the request asks to write the cache), audio
 * input, output, built-in tool fees, at the service tier's multiplier and the
 * long-context tier its input reaches. A unit without a price is refused,
 * never priced at $0 (DESIGN "Cost ceilings").
 *
 * The per-unit rates come from one call, {@link unitRates}; when the pricing
 * module's `ceilingRates` lands it replaces that function's body and nothing else.
 */
import { tokensCost } from "../budget/policy";
import { ratesOf, type Rates } from "../pricing/cost";
import type { ModelPrice, TokenPrices } from "../pricing/types";
import type { ReserveRequest } from "./types";

/** Rates as stored on the reservation, so settlement prices the call exactly as it was reserved. */
export type StoredRates = Rates & {
  /** Cache writes at the 1-hour TTL, micro-USD per million. */
  cacheWrite1h?: number;
  /** Audio input, micro-USD per million. */
  audioInput?: number;
  /** Micro-USD per call of each built-in tool. */
  toolFees?: Record<string, number>;
};

/** What one call costs at most before output, and at what rate its output is billed. */
export interface CallPrice {
  rates: StoredRates;
  /** Input (text, context, audio) and tool fees at their bounds, micro-USD. */
  inputCost: number;
  /** Micro-USD per million output tokens. */
  outputRate: number;
}

/** A unit the call can be billed for that has no price, e.g. `audio input`. */
export interface Unpriced {
  unpriced: string;
}

/** The billing facts of a request the rates depend on. */
export interface BillingHints {
  inputTokens: number;
  serviceTier: string | null;
  cacheTtl: "5m" | "1h" | null;
  audio: boolean;
  toolCalls: Record<string, number>;
}

/** Service tiers billed at the standard price whatever the table says. */
const STANDARD_TIERS = new Set(["default", "auto"]);

/**
 * The rates for one call: today a local reading of the price's tiers; the
 * pricing module's `ceilingRates(price, hints)` replaces this body one for one.
 */
export function unitRates(price: ModelPrice, h: BillingHints): { rates: StoredRates } | Unpriced {
  const tier: TokenPrices =
    price.longContext && h.inputTokens > price.longContext.aboveInputTokens ? price.longContext : price;
  let mult = 1;
  if (h.serviceTier && !STANDARD_TIERS.has(h.serviceTier)) {
    const m = price.serviceTiers?.[h.serviceTier];
    if (m === undefined) return { unpriced: `service_tier "${h.serviceTier}"` };
    mult = m;
  }
  if (h.audio && tier.audioInput === undefined) return { unpriced: "audio input" };
  if (h.cacheTtl === "1h" && tier.cacheWrite1h === undefined) return { unpriced: "1-hour cache writes" };
  const tools = Object.entries(h.toolCalls).filter(([, n]) => n > 0);
  if (tools.length > 0) return { unpriced: `${tools[0]?.[0] ?? "tool"} calls` };
  const usd = (v: number) => Math.round(v * mult * 1_000_000);
  const base = ratesOf(tier);
  const rates: StoredRates = {
    input: Math.round(base.input * mult),
    output: Math.round(base.output * mult),
    cachedInput: Math.round(base.cachedInput * mult),
    cacheWrite: Math.round(base.cacheWrite * mult),
  };
  if (tier.cacheWrite1h !== undefined) rates.cacheWrite1h = usd(tier.cacheWrite1h);
  if (tier.audioInput !== undefined) rates.audioInput = usd(tier.audioInput);
  return { rates };
}

/** The billing hints of a request, with `extraInputTokens` of stored context added to its input. */
export function hintsOf(req: ReserveRequest, extraInputTokens: number): BillingHints {
  return {
    inputTokens: req.inputTokens + extraInputTokens + (req.audioInputTokens ?? 0),
    serviceTier: req.serviceTier ?? null,
    cacheTtl: req.cacheTtl ?? null,
    audio: (req.audioInputTokens ?? 0) > 0,
    toolCalls: req.toolCalls ?? {},
  };
}

/**
 * The most a call can cost before output: every input token at the dearer of the
 * input and the cache-write rate it may be written at, audio at the audio rate,
 * and each bounded tool call at its fee.
 */
export function priceCall(price: ModelPrice, req: ReserveRequest, extraInputTokens: number): CallPrice | Unpriced {
  const h = hintsOf(req, extraInputTokens);
  const u = unitRates(price, h);
  if ("unpriced" in u) return u;
  const r = u.rates;
  const writeRate = h.cacheTtl === "1h" ? (r.cacheWrite1h ?? r.cacheWrite) : h.cacheTtl === "5m" ? r.cacheWrite : r.input;
  const textRate = Math.max(r.input, writeRate);
  let fees = 0;
  for (const [tool, n] of Object.entries(h.toolCalls)) {
    if (n <= 0) continue;
    const fee = r.toolFees?.[tool];
    if (fee === undefined) return { unpriced: `${tool} calls` };
    fees += n * fee;
  }
  const inputCost =
    tokensCost(req.inputTokens + extraInputTokens, textRate) + tokensCost(req.audioInputTokens ?? 0, r.audioInput ?? 0) + fees;
  return { rates: r, inputCost, outputRate: r.output };
}
