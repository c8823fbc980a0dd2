/**
 * The isolate's budget decision for a subject holding an allowance: the same
 * `decide()` the object runs, over windows rebuilt from the allowance's
 * snapshot plus what this isolate has spent and holds since. Pure and
 * synchronous, so it runs in the request's own turn with no I/O.
 *
 * It only ever says "allow here" or "take the normal path": anything but a
 * plain allow (warnings and degrade are plain) goes to the object, which
 * clamps, blocks, recounts and refuses exactly as before.
 */
import { decide, tokensCost } from "../budget/policy";
import type { ScopeWindow } from "../budget/types";
import type { AllowanceSnapshot } from "../ledger/allowances-types";
import { priceCall } from "../ledger/reserve-price";
import { positionOut } from "../ledger/scopes";
import type { BudgetPosition, ReserveRequest, WarningOut } from "../ledger/types";
import type { Rates } from "../pricing/cost";

/** What this isolate has done against an allowance since its snapshot. */
export interface LocalUsage {
  /** Micro-USD held by local requests not yet settled. */
  inflight: number;
  /** Micro-USD settled locally and not yet acknowledged by a flush. */
  pending: number;
}

/** A local allow: what the guard forwards and the headers it shows. */
export interface LocalAllow {
  kind: "local";
  model: string;
  degradedFrom?: string;
  amount: number;
  forwardMaxTokens?: number;
  warnings: WarningOut[];
  tightest: BudgetPosition | null;
  /** The rates the call settles at (`usageCost(usage, rates)`). */
  rates: Rates;
  /** The cap the guard chose for an uncapped chat call (teaches the learned estimate), else null. */
  outputCap: number | null;
  choices: number;
}

/** The normal path, and why (for the request log and the tests). */
export interface TakeNormal {
  kind: "normal";
  reason: string;
  /**
   * For `hold_exhausted`: whether the object, which counts this allowance's unused hold as reserved,
   * could still fit the call. Then nothing needs folding; else the hold must shrink first.
   */
  fitsBesideHold?: boolean;
}

/**
 * Why a request cannot be decided locally whatever the budget says, or null:
 * anything whose ceiling needs the object (stored context, unbounded parts,
 * background jobs, billed tool calls, tiers, cache writes, audio) or whose
 * retries need its idempotency record.
 */
export function ineligible(req: ReserveRequest): string | null {
  if (req.idempotent) return "idempotency_key";
  if ((req.unbounded ?? []).length > 0) return "unbounded";
  if ((req.context ?? []).length > 0) return "context";
  if (req.background) return "background";
  if (Object.values(req.toolCalls ?? {}).some((n) => n > 0)) return "tool_calls";
  if (req.serviceTier != null) return "service_tier";
  if (req.cacheTtl != null) return "cache_ttl";
  if ((req.audioInputTokens ?? 0) > 0) return "audio";
  return null;
}

/** The snapshot's windows as they stand now: local spend added to `spent`, local holds to `reserved`. */
export function localWindows(snap: AllowanceSnapshot, use: LocalUsage): ScopeWindow[] {
  return snap.windows.map((w) => ({ ...w, spent: w.spent + use.pending, reserved: w.reserved + use.inflight }));
}

/** Decides `req` from the allowance, or says to take the normal path. */
export function decideLocally(snap: AllowanceSnapshot, use: LocalUsage, req: ReserveRequest, now: number): LocalAllow | TakeNormal {
  const normal = (reason: string): TakeNormal => ({ kind: "normal", reason });
  if (now >= snap.expiresAt) return normal("expired");
  // Past midnight (or a month end) the snapshot's windows are the old ones: the object keys the new ones.
  if (snap.windows.some((w) => now >= w.resetAt)) return normal("window_ended");
  const why = ineligible(req);
  if (why) return normal(why);
  const m = snap.models[req.model];
  if (!m) return normal("model_not_in_snapshot");
  // The tenant's committed-use discount, exactly as the object prices it (reserve-price.ts).
  const primary = priceCall(req.model, m.price, req, 0, snap.netBps);
  if ("unpriced" in primary) return normal("unpriced");
  const deg = m.degradeTo ? snap.models[m.degradeTo] : undefined;
  const degraded = m.degradeTo && deg ? priceCall(m.degradeTo, deg.price, req, 0, snap.netBps) : null;
  const degradedCall = degraded && !("unpriced" in degraded) ? degraded : null;

  const isChat = req.kind === "chat";
  const choices = isChat ? Math.max(1, Math.floor(req.choices ?? 1)) : 1;
  const expected = isChat ? m.expectedOutput : 0;
  const modelMax = isChat ? m.modelMax : 0;
  const requested = isChat ? req.requestedMaxTokens : null;
  const windows = localWindows(snap, use);
  const d = decide({
    windows,
    primary: { model: req.model, inputCost: primary.inputCost, outputRate: primary.outputRate },
    degraded:
      m.degradeTo && degradedCall
        ? { model: m.degradeTo, inputCost: degradedCall.inputCost, outputRate: degradedCall.outputRate }
        : undefined,
    requestedMaxTokens: requested,
    expectedOutputTokens: expected,
    choices,
    modelMaxOutputTokens: modelMax,
    minOutputTokens: snap.minOutputTokens,
    maxRequestCost: snap.maxRequestCost,
    mode: "enforce",
  });
  if (d.action !== "allow") return normal(d.action);
  // A clamp (of the client's cap, or of the guard's own cap on an uncapped call) is the object's call.
  const hardCap = Math.max(0, requested ?? modelMax * choices);
  const target = requested !== null ? hardCap : Math.min(expected * choices, hardCap);
  if (d.clamped || d.outputTokens !== target) return normal("clamp");
  // The hold is what this isolate may commit: past it, the object decides (with the pending flush folded in).
  const unused = Math.max(0, snap.hold - use.inflight - use.pending);
  if (d.amount > unused) {
    let room = Number.POSITIVE_INFINITY;
    for (const w of windows) if (w.limit !== null) room = Math.min(room, w.limit - w.spent - w.reserved - unused);
    return { kind: "normal", reason: "hold_exhausted", fitsBesideHold: room >= d.amount };
  }
  const chosen = d.degradedFrom && degradedCall ? degradedCall : primary;
  // Sanity: the amount is the chosen model's full ceiling (no clamp slipped through).
  if (d.amount !== chosen.inputCost + tokensCost(target, chosen.outputRate)) return normal("clamp");
  return {
    kind: "local",
    model: d.model,
    degradedFrom: d.degradedFrom,
    amount: d.amount,
    forwardMaxTokens: d.forwardMaxTokens,
    ...positionOut(d),
    rates: chosen.rates,
    outputCap: isChat && requested === null ? (d.forwardMaxTokens ?? null) : null,
    choices,
  };
}
