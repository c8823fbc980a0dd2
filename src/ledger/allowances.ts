/**
 * Allowances, the object's side (DESIGN "Edge allowances"): `acquireAllowance`
 * authenticates and attributes exactly like a reserve, then reserves a slice
 * of every scope the subject falls under (global included, drawn from the
 * tenant's lease like a reservation) and answers with the snapshot the
 * isolate decides from. Sizing: a few seconds of the subject's spend, at
 * least one ceiling (twice the triggering request), never more than a fair
 * share `remaining / (2 × (holders + 1))` of any limited window; none when
 * that share is below one ceiling, so near a limit every request reserves
 * one by one and the hard limit stays exact.
 */
import { netBpsOf } from "../budget/commitment";
import { maxRequestUsdOf, toMicros } from "../budget/limits";
import { remainingOf, tokensCost } from "../budget/policy";
import type { ScopeWindow } from "../budget/types";
import { windowsAt } from "../budget/windows";
import { lookupModel, resolvePrice } from "../pricing/cost";
import { afterHold } from "./allowances-flush";
import type { AcquireRequest, AcquireResult, AllowanceSample, AllowanceSnapshot, SnapshotModel } from "./allowances-types";
import type { GlobalLeaseHolder } from "./global-lease";
import { expectedOutput } from "./output";
import { admit, globalHolder } from "./reserve";
import type { Attribution } from "./reserve-tx";
import { adjustmentsOf } from "./reallocations";
import { priceCall } from "./reserve-price";
import { scopeKey, scopesFor, windowStates } from "./scopes";
import type { Ledger } from "./state";
import { AllowanceStore } from "./storage/allowances";
import type { TenantRow } from "./storage";
import type { ReserveRequest } from "./types";

/** An allowance decides for at most this long before it must be renewed. */
export const ALLOWANCE_LIFETIME_MS = 1000;
/** The alarm counts an unrenewed allowance as spent this long after its expiry. */
export const EXPIRY_GRACE_MS = 2000;
/** Models priced in a snapshot besides the sample's (and degrade targets). */
const MAX_MODELS = 4;
/** The hold covers this many seconds of the subject's recent spend. */
const HOLD_SECONDS = 3;

/** The subject's scopes and what a decision needs, read inside the caller's transaction. */
export interface SubjectView {
  windows: ScopeWindow[];
  counterKeys: [string, string][];
  models: Record<string, SnapshotModel>;
  /** One request's ceiling: twice the sample's amount. */
  ceiling: number;
  minOutputTokens: number;
  maxRequestCost: number | null;
}

function sampleRequest(s: AllowanceSample): ReserveRequest {
  return {
    requestId: "",
    keyHash: "",
    userId: null,
    bodyUserId: null,
    feature: null,
    model: s.model,
    kind: s.kind,
    inputTokens: s.inputTokens,
    inputExact: false,
    requestedMaxTokens: s.requestedMaxTokens,
    idempotent: false,
    finalMessageEligible: false,
    streaming: false,
    choices: s.choices,
  };
}

/** Why no allowance can be granted to this subject at all (before sizing), or null. */
function refusal(t: TenantRow, who: Required<Attribution>, l: Ledger): string | null {
  if (t.config.mode !== "enforce") return "shadow";
  if (t.config.requireDeclaredFeatures && !who.featureBound && who.feature !== "default" && l.store.feature(who.feature) === undefined) {
    return "undeclared_feature";
  }
  return null;
}

/** Reads the subject's windows (global from the lease) and prices the sample; null when the sample has no price. */
export function subjectView(
  l: Ledger,
  t: TenantRow,
  who: Required<Attribution>,
  sample: AllowanceSample,
  holder: GlobalLeaseHolder,
  now: number,
  also: readonly string[] = [],
): SubjectView | null {
  const cfg = t.config;
  const user = l.store.user(who.userId);
  const featureConfig = l.store.feature(who.feature);
  const scopes = scopesFor({ tenant: cfg, userId: who.userId, feature: who.feature, user, featureConfig, adjustments: adjustmentsOf(l) });
  const win = windowsAt(now, cfg.timezone);
  const wins = [win.daily.key, win.monthly.key];
  const counters = l.store.counters(
    scopes.map((s) => scopeKey(s.ref)),
    wins,
  );
  const windows = windowStates(scopes, win, counters);
  const view = holder.view();
  if (view.kind === "window") windows.push(view.window);
  const counterKeys: [string, string][] = [];
  for (const s of scopes) for (const w of wins) counterKeys.push([scopeKey(s.ref), w]);

  const models: Record<string, SnapshotModel> = {};
  const isChat = sample.kind === "chat";
  const add = (model: string): boolean => {
    const p = resolvePrice(model, cfg.prices);
    if (!p) return false;
    const modelMax = isChat ? (lookupModel(model)?.maxOutputTokens ?? 4096) : 0;
    models[model] = {
      price: p.price,
      degradeTo: cfg.degrade[model] ?? null,
      expectedOutput: isChat ? expectedOutput(l, model, modelMax, cfg.minOutputTokens) : 0,
      modelMax,
    };
    return true;
  };
  if (!add(sample.model)) return null;
  // The subject's other recent models and every degrade target: a model missing here goes the normal way.
  for (const m of also.slice(0, MAX_MODELS)) if (!(m in models)) add(m);
  for (const m of Object.keys(models)) {
    const to = cfg.degrade[m];
    if (to && !(to in models)) add(to);
  }

  const m = models[sample.model] as SnapshotModel;
  const call = priceCall(sample.model, m.price, sampleRequest(sample), 0, netBpsOf(cfg.commitment));
  if ("unpriced" in call) return null;
  const n = isChat ? Math.max(1, Math.floor(sample.choices)) : 1;
  const hardCap = isChat ? (sample.requestedMaxTokens ?? m.modelMax * n) : 0;
  const target = isChat && sample.requestedMaxTokens === null ? Math.min(m.expectedOutput * n, hardCap) : hardCap;
  const maxUsd = maxRequestUsdOf(cfg, user, featureConfig);
  return {
    windows,
    counterKeys,
    models,
    ceiling: 2 * (call.inputCost + tokensCost(target, call.outputRate)),
    minOutputTokens: cfg.minOutputTokens,
    maxRequestCost: maxUsd === null ? null : toMicros(maxUsd),
  };
}

/**
 * The slice to hold: a few seconds of spend, at least one ceiling, at most the
 * fair share of every limited window; 0 when the fair share is below one ceiling.
 */
export function sliceFor(windows: readonly ScopeWindow[], holders: number, ceiling: number, ratePerSec: number): number {
  let share = Number.POSITIVE_INFINITY;
  for (const w of windows) {
    if (w.limit === null) continue;
    share = Math.min(share, Math.floor(remainingOf(w) / (2 * (holders + 1))));
  }
  if (share < ceiling) return 0;
  return Math.min(share, Math.max(ceiling, Math.ceil(ratePerSec * HOLD_SECONDS)));
}

/** The snapshot an isolate decides from; `windows` must already exclude this allowance's own hold. */
export function snapshotOf(
  id: string,
  hold: number,
  expiresAt: number,
  who: Required<Attribution>,
  v: SubjectView,
  t: TenantRow,
): AllowanceSnapshot {
  return {
    allowanceId: id,
    hold,
    expiresAt,
    userId: who.userId,
    feature: who.feature,
    windows: v.windows,
    models: v.models,
    minOutputTokens: v.minOutputTokens,
    maxRequestCost: v.maxRequestCost,
    forwardHeaders: [...t.config.forwardHeaders],
    ...(t.config.commitment ? { netBps: netBpsOf(t.config.commitment) } : {}),
  };
}

/** Whether the key is valid, checked without counting a failure (the normal path that follows counts it once). */
function keyValid(l: Ledger, keyHash: string, now: number): boolean {
  const k = l.state.keys.get(keyHash) ?? l.store.keyByHash(keyHash);
  return k !== undefined && k.revoked_at === null && (k.expires_at === null || k.expires_at > now);
}

/** `acquireAllowance`: a grant for the subject, or why none. */
export async function acquireAllowance(l: Ledger, req: AcquireRequest): Promise<AcquireResult> {
  const now = Date.now();
  if (!l.state.schemaReady || !keyValid(l, req.keyHash, now)) return { none: "auth" };
  const admitted = admit(l, req, now);
  if ("denied" in admitted) return { none: admitted.denied.code };
  const { tenant: t, who } = admitted;
  const why = refusal(t, who, l);
  if (why) return { none: why };
  const holder = globalHolder(l, t.tenantId);
  await holder.ensure(now);
  const gv = holder.view();
  if (gv.kind === "blocked" || gv.kind === "unavailable") return { none: `global_${gv.kind}` };
  const store = new AllowanceStore(l.sql);
  const id = `al_${crypto.randomUUID()}`;
  const result = l.ctx.storage.transactionSync((): AcquireResult => {
    const v = subjectView(l, t, who, req.sample, holder, now, req.models);
    if (!v) return { none: "no_price" };
    const hold = sliceFor(v.windows, store.openCount(), v.ceiling, req.ratePerSec);
    if (hold === 0) return { none: "near_limit" };
    const expiresAt = now + ALLOWANCE_LIFETIME_MS;
    l.store.bumpAll(v.counterKeys, { reserved: hold });
    // The global scope: the hold is spent from the tenant's lease like a reservation, in the same turn.
    holder.consume(id, hold, now);
    store.insert({
      id,
      key_hash: req.keyHash,
      user_id: who.userId,
      feature: who.feature,
      counters: JSON.stringify(v.counterKeys),
      hold,
      granted: hold,
      seq: 0,
      settled: 0,
      credit: 0,
      created_at: now,
      expires_at: expiresAt,
      state: "open",
    });
    return { grant: snapshotOf(id, hold, expiresAt, who, v, t) };
  });
  if ("grant" in result) await afterHold(l, now);
  return result;
}
