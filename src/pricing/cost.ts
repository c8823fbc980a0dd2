/**
 * Cost arithmetic in integer micro-USD. Prices are published per million
 * tokens in USD; we convert them once to micro-USD per million so every sum is
 * exact integer arithmetic, and round up once at the end of a request.
 *
 * One `Rates` value carries every billed unit of a model (tiers, long
 * context, tool fees), so the rates stored with a reservation price the
 * settlement with no table lookup: what the provider reports (its tier, its
 * input size, its tool calls) decides which of them apply.
 */
import { callCosts, type CallCosts } from "../budget/commitment";
import { MODELS } from "./table";
import { SETTLES_AS, TOOL_FEES, UNKNOWN_TOOL_FEE } from "./tools";
import type { ModelInfo, ModelPrice, TokenPrices } from "./types";

/** Token counts as the provider reported them, normalised across dialects. */
export interface Usage {
  /** Input tokens billed at the full input price (excludes cache reads and writes, and audio). */
  inputTokens: number;
  /** Input tokens read from the prompt cache. */
  cachedInputTokens: number;
  /** Input tokens written to the prompt cache at the 5-minute TTL (Anthropic) or OpenAI's default retention. */
  cacheWriteTokens: number;
  /** Input tokens written to the prompt cache at the 1-hour TTL (Anthropic `ttl: "1h"`). */
  cacheWrite1hTokens?: number;
  /** Audio input tokens (billed at the model's audio rate). */
  audioInputTokens?: number;
  /** Billed built-in tool units by tool, e.g. `{ web_search: 3 }`. */
  toolCalls?: Record<string, number>;
  /** The service tier the provider says it served the call at. */
  serviceTier?: string;
  /** Output tokens, reasoning tokens included (they are billed as output). */
  outputTokens: number;
}

/** Token prices of one tier in micro-USD per 1,000,000 tokens. */
export interface TokenRates {
  input: number;
  output: number;
  cachedInput: number;
  cacheWrite: number;
  /** Absent: the model has no 1-hour write price. */
  cacheWrite1h?: number;
  /** Absent: the model has no audio price. */
  audioInput?: number;
}

/** Every billed unit of a model in integer micro-USD: per million tokens, and per tool unit. */
export interface Rates extends TokenRates {
  /** The whole call at these rates when its total input is above `above` tokens. */
  longContext?: TokenRates & { above: number };
  /** Multipliers by non-standard service tier. */
  tiers?: Record<string, number>;
  /** Fee per billed tool unit, by unit (as usage reports it). */
  toolFees?: Record<string, number>;
  /**
   * Share of the list price the tenant pays, in basis points (a committed-use discount of 25% is 7500);
   * absent: the list price. Stored with the reservation, so a call settles at the discount it was reserved at.
   */
  netBps?: number;
}

/** Tier names that mean the standard price: OpenAI `default`/`auto`, Anthropic `standard`/`standard_only`. */
export const STANDARD_TIERS: ReadonlySet<string> = new Set(["default", "auto", "standard", "standard_only"]);

const micro = (usd: number) => Math.round(usd * 1_000_000);

function tokenRates(p: TokenPrices): TokenRates {
  const r: TokenRates = {
    input: micro(p.input),
    output: micro(p.output),
    cachedInput: micro(p.cachedInput ?? p.input),
    cacheWrite: micro(p.cacheWrite ?? p.input),
  };
  if (p.cacheWrite1h !== undefined) r.cacheWrite1h = micro(p.cacheWrite1h);
  if (p.audioInput !== undefined) r.audioInput = micro(p.audioInput);
  return r;
}

/** Converts a USD price to integer micro-USD rates; `toolFees` (micro-USD per unit) ride along for settlement. */
export function ratesOf(p: ModelPrice, toolFees?: Record<string, number>): Rates {
  const r: Rates = tokenRates(p);
  if (p.longContext) r.longContext = { ...tokenRates(p.longContext), above: p.longContext.aboveInputTokens };
  if (p.serviceTiers && Object.keys(p.serviceTiers).length > 0) r.tiers = { ...p.serviceTiers };
  if (toolFees) r.toolFees = { ...toolFees };
  return r;
}

/** Every input token of a call, whatever it is billed as; decides the long-context tier. */
export function totalInput(u: Usage): number {
  return u.inputTokens + u.cachedInputTokens + u.cacheWriteTokens + (u.cacheWrite1hTokens ?? 0) + (u.audioInputTokens ?? 0);
}

/** A rate times a tier multiplier, rounded up to an integer (the float product can sit a hair above it). */
export function scaled(rate: number, m: number): number {
  return m === 1 ? rate : Math.ceil(Math.round(rate * m * 1000) / 1000);
}

/** The multiplier of a reported tier; one the rates do not know settles at the dearest known, never below 1. */
export function tierMultiplier(tier: string | null | undefined, r: Rates): number {
  if (!tier || STANDARD_TIERS.has(tier)) return 1;
  const known = r.tiers?.[tier];
  if (known !== undefined) return known;
  return Math.max(1, ...Object.values(r.tiers ?? {}), FALLBACK_TIER);
}

/** The dearest published tier multiplier (OpenAI GPT-5.5 priority, 2.5x), for a tier reported but never priced. */
const FALLBACK_TIER = 2.5;

/** The token rates a call of `inputTokens` total input is billed at, before its tier multiplier. */
export function tierRates(r: Rates, inputTokens: number): TokenRates {
  return r.longContext && inputTokens > r.longContext.above ? r.longContext : r;
}

/** Fee of one reported tool unit: the stored fee, else any provider's fee for it, else the dearest known. */
function feeOf(unit: string, r: Rates): number {
  const own = r.toolFees?.[unit];
  if (own !== undefined) return own;
  const anywhere = Object.values(TOOL_FEES)
    .map((t) => t[SETTLES_AS[unit] ?? unit] ?? t[unit])
    .filter((v): v is number => v !== undefined);
  return anywhere.length > 0 ? Math.max(...anywhere) : UNKNOWN_TOOL_FEE;
}

/** Cost of `u` at `r` in micro-USD, net of the rates' discount, rounded up once. */
export function usageCost(u: Usage, r: Rates): number {
  return usageCosts(u, r).net;
}

/** Cost of `u` at `r` at the list price and net of the rates' discount, micro-USD, each rounded up once. */
export function usageCosts(u: Usage, r: Rates): CallCosts {
  const t = tierRates(r, totalInput(u));
  const m = tierMultiplier(u.serviceTier, r);
  const rate = (v: number) => scaled(v, m);
  // Units a model has no price for still cost something: 1h writes at 2x input (Anthropic's
  // published ratio), audio at 16x input (gpt-4o audio: $40 vs $2.50); the reserve step refuses
  // such calls up front, so this only covers a provider reporting what the request did not ask for.
  const write1h = t.cacheWrite1h ?? t.input * 2;
  const audio = t.audioInput ?? t.input * 16;
  let total =
    u.inputTokens * rate(t.input) +
    u.cachedInputTokens * rate(t.cachedInput) +
    u.cacheWriteTokens * rate(t.cacheWrite) +
    (u.cacheWrite1hTokens ?? 0) * rate(write1h) +
    (u.audioInputTokens ?? 0) * rate(audio) +
    u.outputTokens * rate(t.output);
  for (const [unit, n] of Object.entries(u.toolCalls ?? {})) {
    if (Number.isFinite(n) && n > 0) total += Math.ceil(n) * feeOf(unit, r) * 1_000_000;
  }
  return callCosts(total, r.netBps);
}

const DATED = /-(\d{4}-\d{2}-\d{2}|\d{8})$/;

/** The table entry for a model id; an explicit entry wins, else the id without a trailing snapshot date. */
export function lookupModel(model: string): ModelInfo | undefined {
  return MODELS[model] ?? (DATED.test(model) ? MODELS[model.replace(DATED, "")] : undefined);
}

/** Where a price came from. */
export type PriceSource = "tenant" | "table" | "fallback";

/**
 * A negotiated price fills the units it leaves out from the table's entry:
 * tier multipliers as they are, absolute prices (1h writes, audio, the
 * long-context tier) scaled by the same ratio as its input price.
 */
function completeOverride(own: ModelPrice, table: ModelPrice | undefined): ModelPrice {
  if (!table || table.input <= 0) return own;
  const k = own.input / table.input;
  const out: ModelPrice = { ...own };
  if (out.cacheWrite1h === undefined && table.cacheWrite1h !== undefined) out.cacheWrite1h = table.cacheWrite1h * k;
  if (out.audioInput === undefined && table.audioInput !== undefined) out.audioInput = table.audioInput * k;
  if (out.serviceTiers === undefined && table.serviceTiers) out.serviceTiers = table.serviceTiers;
  if (out.longContext === undefined && table.longContext) {
    const lc = table.longContext;
    const kOut = table.output > 0 ? own.output / table.output : k;
    out.longContext = { aboveInputTokens: lc.aboveInputTokens, input: lc.input * k, output: lc.output * kOut };
    for (const f of ["cachedInput", "cacheWrite", "cacheWrite1h", "audioInput"] as const) {
      const v = lc[f];
      if (v !== undefined) out.longContext[f] = v * k;
    }
  }
  return out;
}

/**
 * The price a tenant pays for `model`: its own override (negotiated rates),
 * else the table, else its `*` fallback price; null means refuse the call.
 */
export function resolvePrice(
  model: string,
  overrides: Readonly<Record<string, ModelPrice>>,
): { price: ModelPrice; source: PriceSource } | null {
  const own = overrides[model] ?? (DATED.test(model) ? overrides[model.replace(DATED, "")] : undefined);
  const table = lookupModel(model);
  if (own) return { price: completeOverride(own, table?.price), source: "tenant" };
  if (table) return { price: table.price, source: "table" };
  const fallback = overrides["*"];
  if (fallback) return { price: fallback, source: "fallback" };
  return null;
}
