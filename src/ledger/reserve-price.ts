/**
 * Prices one call at reserve time, for every unit it can be billed for: input
 * (at the dearest unit an input token can become: cache write at the TTL asked
 * for, audio), output, built-in tool fees, at the service tier's multiplier and
 * the long-context tier its input reaches. A unit without a price is refused,
 * never priced at $0 (DESIGN "Cost ceilings"). The rates come from the pricing
 * module's `ceilingRates`; the reservation stores them so settlement prices
 * the call exactly as it was reserved.
 */
import { FULL_BPS, netCeil } from "../budget/commitment";
import { tokensCost } from "../budget/policy";
import { ceilingRates, type Unpriced } from "../pricing/ceiling";
import type { Rates } from "../pricing/cost";
import type { ModelPrice } from "../pricing/types";
import type { ReserveRequest } from "./types";

export type { Unpriced };

/** What one call costs at most before output, and at what rate its output is billed. */
export interface CallPrice {
  /** Stored on the reservation; settlement is `usageCost(usage, rates)`. */
  rates: Rates;
  /** Input (text, stored context, audio) at its bound and the bounded tool fees, micro-USD. */
  inputCost: number;
  /** Micro-USD per million output tokens at the call's tier. */
  outputRate: number;
}

/**
 * The most `req` to `model` can cost before output, with `extraInputTokens` of
 * stored context added to its input, or the first unit that has no price.
 * With a committed-use discount (`netBps` < 10 000) the input cost and the
 * output rate are net of it, each rounded up, and the rates carry it to the
 * settlement: a call that fits only at the net price passes, and the net
 * ceiling still bounds the net settled cost.
 */
export function priceCall(
  model: string,
  price: ModelPrice,
  req: ReserveRequest,
  extraInputTokens: number,
  netBps: number = FULL_BPS,
): CallPrice | Unpriced {
  const audio = req.audioInputTokens ?? 0;
  const inputTokens = req.inputTokens + extraInputTokens + audio;
  const c = ceilingRates(model, price, {
    inputTokens,
    serviceTier: req.serviceTier ?? null,
    cacheTtl: req.cacheTtl ?? null,
    audio: audio > 0,
    toolCalls: req.toolCalls ?? {},
  });
  if ("unpriced" in c) return c;
  const inputCost = tokensCost(inputTokens, c.input) + c.toolFees;
  if (netBps >= FULL_BPS) return { rates: c.rates, inputCost, outputRate: c.output };
  return { rates: { ...c.rates, netBps }, inputCost: netCeil(inputCost, netBps), outputRate: netCeil(c.output, netBps) };
}

/** An application's hold of a known amount (micro-USD): all of it up front, no output, settled at the cost it reports. */
export function fixedCall(amount: number): CallPrice {
  return { rates: { input: 0, output: 0, cachedInput: 0, cacheWrite: 0 }, inputCost: amount, outputRate: 0 };
}
