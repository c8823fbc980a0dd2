import type { WindowKind } from "./windows";

/** The levels a request is counted and limited at. */
export type ScopeKind = "global" | "tenant" | "user" | "feature" | "user_feature";

/** One scope instance, e.g. `{kind: "user", id: "u1"}`; the tenant scope has id "". */
export interface ScopeRef {
  kind: ScopeKind;
  id: string;
}

/** Hard limits in USD as configured; an absent window is unlimited. */
export interface LimitsUsd {
  daily?: number;
  monthly?: number;
}

/** The state of one scope in one window, as the ledger read it, in micro-USD. */
export interface ScopeWindow {
  scope: ScopeRef;
  window: WindowKind;
  /** Counter key, e.g. `day:2026-11-29`. */
  key: string;
  resetAt: number;
  /** Hard limit in micro-USD; null when the scope is only counted, not limited. */
  limit: number | null;
  spent: number;
  reserved: number;
  /** Fraction of the limit at which the soft warning starts. */
  softPct: number;
}

/** A model the request may be sent to, priced for this tenant. */
export interface Candidate {
  model: string;
  /** Cost of the (upper-bound) input in micro-USD. */
  inputCost: number;
  /** Output price in micro-USD per 1,000,000 tokens. */
  outputRate: number;
}

/** A soft-limit crossing reported on the response and queued as an alert. */
export interface Warning {
  scope: ScopeRef;
  window: WindowKind;
  key: string;
  /** Percentage used after this request's reservation, rounded down. */
  pct: number;
  threshold: number;
}

/** The scope that leaves the least room, for the budget headers. */
export interface Tightest {
  scope: ScopeRef;
  window: WindowKind;
  limit: number;
  remaining: number;
  resetAt: number;
}
