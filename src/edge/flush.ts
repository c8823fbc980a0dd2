/**
 * Sending an allowance's records back: one `flushAllowance` RPC per batch, in
 * `waitUntil`, off every request's path. A flush renews a busy allowance
 * (inflight + a new slice, re-checked by the object: a revoked key or a
 * lowered limit comes back as `revoked` or a smaller hold) and returns an
 * idle one. A timer inside `waitUntil` makes sure the last records go back
 * within a second even when traffic stops.
 */
import type { AcquireRequest, AcquireResult, FlushRequest, FlushResult } from "../ledger/allowances-types";
import type { HeldAllowance } from "./held";
import type { Subject } from "./subject";

/** What the edge needs from the request it runs in: the tenant object's RPCs and `waitUntil`. */
export interface EdgePort {
  acquire(r: AcquireRequest): Promise<AcquireResult>;
  flush(r: FlushRequest): Promise<FlushResult>;
  waitUntil(p: Promise<unknown>): void;
  /** The caller's key hash: every flush is re-authenticated. */
  keyHash: string;
  mode: "auto" | "on";
  now(): number;
}

/**
 * Flushes `held` now (after any flush of it in progress): renews it while it
 * is usable and the subject still needs it, else shrinks it to what is in
 * flight (returned once nothing is).
 */
export function flushNow(subject: Subject, held: HeldAllowance, port: EdgePort): Promise<void> {
  const prev = held.flushing ?? Promise.resolve();
  const run = prev.then(() => sendOnce(subject, held, port));
  const mine: Promise<void> = run.finally(() => {
    if (held.flushing === mine) held.flushing = null;
    if (!held.usable && held.drained() && held.flushing === null) subject.forget(held);
  });
  held.flushing = mine;
  return mine;
}

async function sendOnce(subject: Subject, held: HeldAllowance, port: EdgePort): Promise<void> {
  const now = port.now();
  const wanted = port.mode === "on" ? held.inflightCount > 0 : subject.busy(now) || held.inflightCount > 0;
  // Past expiry a renewal is still worth asking for: the object keeps the row open for the grace period.
  const renew = held.usable && wanted;
  // Not renewed: stop deciding from it at once, so no request spends a hold being given back.
  if (!renew) subject.retire(held);
  if (!renew && held.drained()) {
    // Nothing left to send, but the object still holds something for it: give it back.
    if (held.excess) await send(subject, held, port, [], false);
    return;
  }
  // Already shrunk to what is in flight, nothing to send: the next settle flushes.
  if (!renew && held.queued.length === 0 && !held.excess) return;
  const batch = held.take();
  await send(subject, held, port, batch, renew);
  if (!held.usable) subject.retire(held);
  // More queued while this one was out: keep the one-second promise.
  if (held.queued.length > 0 && (held.due(port.now()) || !held.usable)) await sendOnce(subject, held, port);
}

async function send(subject: Subject, held: HeldAllowance, port: EdgePort, batch: HeldAllowance["queued"], renew: boolean): Promise<void> {
  let res: FlushResult;
  const inflight = held.inflight;
  try {
    res = await port.flush({
      allowanceId: held.id,
      keyHash: port.keyHash,
      records: batch,
      inflight,
      renew,
      ratePerSec: subject.ratePerSec(port.now()),
      sample: subject.sample,
      models: [...subject.models],
      seq: held.nextSeq(),
    });
  } catch (err) {
    console.error(JSON.stringify({ level: "error", msg: "allowance flush failed", allowanceId: held.id, error: String(err) }));
    held.failed(batch, port.now());
    held.usable = false;
    return;
  }
  held.acked(batch, "grant" in res ? res.grant : null, port.now());
  held.excess = renew;
  // No grant: this allowance decides no more; the object holds what was in flight (or, after a renewal, the old grant until the next batch).
  if (!("grant" in res)) held.snap = { ...held.snap, hold: inflight };
}

/**
 * After a local request settled (or started): flush at once in mode "on" or
 * when a batch is due; otherwise make sure a timer will, within a second and
 * before the allowance is past half its life.
 */
export function schedule(subject: Subject, held: HeldAllowance, port: EdgePort, settled: boolean): void {
  const now = port.now();
  if ((port.mode === "on" && settled) || held.due(now)) {
    port.waitUntil(flushNow(subject, held, port));
    return;
  }
  arm(subject, held, port);
}

/** Arms the allowance's flush timer (one per allowance, the earliest wins), inside `waitUntil`. */
export function arm(subject: Subject, held: HeldAllowance, port: EdgePort): void {
  const now = port.now();
  const at = held.nextDueAt(now);
  if (held.timerAt !== null && held.timerAt <= at) return;
  held.timerAt = at;
  port.waitUntil(
    new Promise<void>((resolve) => {
      setTimeout(
        () => {
          if (held.timerAt === at) held.timerAt = null;
          flushNow(subject, held, port)
            .then(() => {
              // Still held (busy, or requests in flight): the next renewal is this timer's job too.
              if (held.usable || held.queued.length > 0) arm(subject, held, port);
            })
            .finally(resolve);
        },
        Math.max(0, at - now),
      );
    }),
  );
}
