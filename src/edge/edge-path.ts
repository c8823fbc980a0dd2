/**
 * The edge path as the guard calls it: decide a request locally from the
 * subject's allowance, or say to take the normal path (and hand over the
 * pending flush to fold into the reserve); start acquiring once the subject
 * is busy; settle locally and schedule the flush.
 */
import type { AllowanceRecord, AllowanceSample, FlushRequest } from "../ledger/allowances-types";
import type { ReserveRequest } from "../ledger/types";
import type { Usage } from "../pricing/cost";
import { arm, flushNow, schedule, type EdgePort } from "./flush";
import { localCosts, type HeldAllowance } from "./held";
import { decideLocally, ineligible, type LocalAllow } from "./local-decision";
import { registry } from "./registry";
import type { Subject } from "./subject";

/** A request decided locally: settle or release it exactly once. */
export interface LocalTicket {
  decision: LocalAllow;
  allowanceId: string;
  /** Who the call is attributed to, and the client headers let through, from the snapshot. */
  userId: string;
  feature: string;
  forwardHeaders: string[];
  /** Charges the call locally (same rules as the object's settle) and queues its record; returns the cost. */
  settle(usage: Usage, outcome: AllowanceRecord["outcome"]): number;
  /** Nothing was spent (upstream error): the hold goes back to the allowance. */
  release(): void;
}

/** The normal path, with the subject's pending flush when it holds an allowance the object should fold first. */
export interface NormalPath {
  reason: string;
  /** Put on `ReserveRequest.allowanceFlush`; call `done(ok)` once the reserve RPC answered or failed. */
  fold?: { flush: FlushRequest; done(ok: boolean): void };
  /** Tells the edge what the object reserved, for sizing the subject's allowance. */
  reserved(amount: number): void;
}

/** Reasons that are about the request, not the budget: the allowance stays and nothing is folded. */
const REQUEST_REASONS = new Set([
  "idempotency_key",
  "unbounded",
  "context",
  "background",
  "tool_calls",
  "service_tier",
  "cache_ttl",
  "audio",
  "model_not_in_snapshot",
  "unpriced",
]);

function sampleOf(req: ReserveRequest): AllowanceSample {
  return {
    model: req.model,
    kind: req.kind,
    inputTokens: req.inputTokens,
    requestedMaxTokens: req.requestedMaxTokens,
    choices: req.choices ?? 1,
  };
}

function acquire(subject: Subject, port: EdgePort, req: ReserveRequest): Promise<HeldAllowance | null> {
  return subject
    .acquire(
      (r) => port.acquire(r),
      {
        keyHash: req.keyHash,
        userId: req.userId,
        bodyUserId: req.bodyUserId,
        feature: req.feature,
        sample: sampleOf(req),
        ratePerSec: subject.ratePerSec(port.now()),
        models: [...subject.models],
      },
      () => port.now(),
      // Mode "on" (tests) asks on every request, so as many requests as possible take the edge path.
      port.mode === "on" ? 0 : undefined,
    )
    .then((held) => {
      if (held) arm(subject, held, port);
      return held;
    });
}

/** Decides `req` at the edge, or says why not. `key` names the subject (see `subjectKey`). */
export async function edgeDecide(
  key: string,
  req: ReserveRequest,
  port: EdgePort,
): Promise<{ local: LocalTicket } | { normal: NormalPath }> {
  const subject = registry.get(key);
  const now = port.now();
  subject.hit(now);
  const eligible = ineligible(req) === null;
  if (eligible) subject.saw(sampleOf(req));
  let held = subject.usable(now);
  if (!held && eligible && port.mode === "on") {
    // Mode "on" (tests): the subject acquires on its first request and waits for it.
    held = await (subject.pending() ?? (subject.mayAcquire(now) ? acquire(subject, port, req) : Promise.resolve(null)));
    held = held && held.canDecide(port.now()) ? held : null;
  }
  const reserved = (amount: number) => subject.spent(amount, port.now());
  if (!held) {
    // Lapsed but still current: its renewal is due now (the timer fires at once), this request reserves.
    if (subject.current) arm(subject, subject.current, port);
    if (eligible && port.mode === "auto" && subject.busy(now) && subject.mayAcquire(now)) port.waitUntil(acquire(subject, port, req));
    return { normal: { reason: "no_allowance", reserved } };
  }
  const d = decideLocally(held.snap, held.usage(), req, port.now());
  if (d.kind === "normal") {
    if (REQUEST_REASONS.has(d.reason)) return { normal: { reason: d.reason, reserved } };
    if (d.fitsBesideHold) {
      // Outpaced, far from any limit: renew now (the hold grows with the pace), this request reserves beside it.
      if (held.flushing === null) port.waitUntil(flushNow(subject, held, port));
      return { normal: { reason: d.reason, reserved } };
    }
    return { normal: { reason: d.reason, reserved, fold: fold(subject, held, port) } };
  }
  held.begin(d.amount);
  subject.spent(d.amount, now);
  schedule(subject, held, port, false);
  return { local: ticket(subject, held, port, d, req.requestId) };
}

/** Retires `held` and hands its records to the reserve: the object applies them and shrinks the hold first. */
function fold(subject: Subject, held: HeldAllowance, port: EdgePort): NormalPath["fold"] {
  subject.retire(held);
  const batch = held.take();
  const inflight = held.inflight;
  const flush: FlushRequest = {
    allowanceId: held.id,
    keyHash: port.keyHash,
    records: batch,
    inflight,
    renew: false,
    ratePerSec: 0,
    sample: subject.sample,
    seq: held.nextSeq(),
  };
  return {
    flush,
    done(ok) {
      if (!ok) {
        held.failed(batch, port.now());
        if (held.queued.length > 0) schedule(subject, held, port, true);
        return;
      }
      held.acked(batch, null, port.now());
      held.snap = { ...held.snap, hold: inflight };
      held.excess = false;
      if (held.drained()) subject.forget(held);
    },
  };
}

function ticket(subject: Subject, held: HeldAllowance, port: EdgePort, d: LocalAllow, requestId: string): LocalTicket {
  let done = false;
  return {
    decision: d,
    allowanceId: held.id,
    userId: held.snap.userId,
    feature: held.snap.feature,
    forwardHeaders: held.snap.forwardHeaders,
    settle(usage, outcome) {
      const { net: cost, list } = localCosts(usage, outcome, d.amount, d.rates);
      if (done) return cost;
      done = true;
      held.end(d.amount, {
        requestId,
        model: d.model,
        inputTokens: usage.inputTokens,
        cachedTokens: usage.cachedInputTokens,
        cacheWriteTokens: usage.cacheWriteTokens + (usage.cacheWrite1hTokens ?? 0),
        outputTokens: usage.outputTokens,
        cost,
        listCost: list,
        outcome,
        outputCap: d.outputCap,
        choices: d.choices,
        at: port.now(),
      });
      schedule(subject, held, port, true);
      return cost;
    },
    release() {
      if (done) return;
      done = true;
      held.end(d.amount, null);
      schedule(subject, held, port, true);
    },
  };
}
