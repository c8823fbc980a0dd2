/**
 * The allowance RPC contract (DESIGN "Edge allowances"): what an isolate asks
 * the TenantLedger for, the snapshot it decides from, and the batch it sends
 * back. Plain serialisable objects; money in integer micro-USD, instants in
 * epoch ms.
 */
import type { ScopeWindow } from "../budget/types";
import type { ModelPrice } from "../pricing/types";

/** The request shape an allowance is sized by (one request's ceiling). */
export interface AllowanceSample {
  model: string;
  kind: "chat" | "embedding";
  inputTokens: number;
  requestedMaxTokens: number | null;
  choices: number;
}

/** `acquireAllowance`: the caller's credentials and attribution, exactly as a reserve sends them. */
export interface AcquireRequest {
  keyHash: string;
  userId: string | null;
  bodyUserId: string | null;
  feature: string | null;
  /** The request that made the subject busy: the hold is at least twice its ceiling. */
  sample: AllowanceSample;
  /** The subject's recent spend in this isolate, micro-USD per second: the hold covers a few seconds of it. */
  ratePerSec: number;
  /** Other models the subject called recently here: priced in the snapshot too (a few at most). */
  models?: string[];
}

/** What the isolate needs to price one model locally (the same `priceCall` the object runs). */
export interface SnapshotModel {
  /** The tenant's resolved price for the model. */
  price: ModelPrice;
  /** The tenant's cheaper mapping past the soft limit, or null; its price is in `models` too when priced. */
  degradeTo: string | null;
  /** Output tokens per choice reserved for an uncapped call (the learned estimate). */
  expectedOutput: number;
  /** The most the model produces per choice (0 for embeddings). */
  modelMax: number;
}

/** An allowance as granted: the hold and everything a local decision reads. */
export interface AllowanceSnapshot {
  allowanceId: string;
  /** Micro-USD held in every counter of the subject for this isolate. */
  hold: number;
  /** No local decision after this instant (object clock); the alarm counts it spent 2 s later. */
  expiresAt: number;
  userId: string;
  feature: string;
  /** Every scope × window the subject falls under (global included), `reserved` excluding this hold. */
  windows: ScopeWindow[];
  /** Models priced for local decisions (the sample's model and its degrade target). */
  models: Record<string, SnapshotModel>;
  minOutputTokens: number;
  /** The effective maxRequestUsd in micro-USD, or null. */
  maxRequestCost: number | null;
  /** Client headers the tenant lets through (lower case). */
  forwardHeaders: string[];
  /** The tenant's committed-use discount as the share of list paid, basis points (`priceCall`); absent: list. */
  netBps?: number;
}

/** `acquireAllowance`'s answer: a grant, or why none (the request path then reserves one by one). */
export type AcquireResult = { grant: AllowanceSnapshot } | { none: string };

/** One locally settled request, as the isolate reports it. */
export interface AllowanceRecord {
  requestId: string;
  /** The model called (the cheaper one when degraded). */
  model: string;
  inputTokens: number;
  cachedTokens: number;
  cacheWriteTokens: number;
  outputTokens: number;
  /** Micro-USD charged: `usageCost(usage, rates)`, or the ceiling rule. */
  cost: number;
  /** The same at the list price (differs from `cost` under a committed-use discount); absent: `cost`. */
  listCost?: number;
  outcome: "ok" | "estimated" | "partial" | "ceiling";
  /** The output cap the guard chose for an uncapped call (teaches the learned estimate), else null. */
  outputCap: number | null;
  choices: number;
  /** Epoch ms the request settled. */
  at: number;
}

/** `flushAllowance` (and `ReserveRequest.allowanceFlush`): a batch of records and what is still in flight. */
export interface FlushRequest {
  allowanceId: string;
  keyHash: string;
  records: AllowanceRecord[];
  /** Micro-USD of local requests decided but not yet settled: the hold never drops below it. */
  inflight: number;
  /** True: renew to `inflight` + a new slice; false: shrink to `inflight` (returned when 0). */
  renew: boolean;
  /** For a renewal's size (see {@link AcquireRequest}). */
  ratePerSec: number;
  sample: AllowanceSample | null;
  /** As {@link AcquireRequest.models}. */
  models?: string[];
  /**
   * Increases with every batch of this allowance: a batch overtaken by a later one (a fold travelling
   * with a reserve, a flush beside it) still adds its records but no longer sets the hold.
   */
  seq: number;
}

/** `flushAllowance`'s answer: the renewed snapshot, or why the allowance can no longer decide. */
export type FlushResult = { grant: AllowanceSnapshot } | { revoked: string };
