/**
 * Background responses (DESIGN "Cost ceilings": "Asynchronous work is
 * metered"). A Responses call with `background: true` answers at once with
 * status `queued` and no usage, while the provider goes on working and
 * billing. Settling from that reply would make the call free, so the proxy
 * hands the job to the tenant object instead: the reservation stays open and
 * the object's alarm polls the provider (`GET /responses/{id}`) with backoff
 * until the job ends, then settles from its final usage. A job that never
 * ends is settled at the ceiling (the whole reservation) at its deadline.
 *
 * The `background_jobs` table is `storage/background.ts`.
 */
import { loadConfig, type Config } from "../config";
import type { Usage } from "../pricing/cost";
import { openaiUsage } from "../proxy/dialects/openai";
import { providerNamed } from "../proxy/providers/registry";
import type { Provider } from "../proxy/providers/types";
import { scheduleAlarm } from "./alarm";
import { settle } from "./settle";
import type { Ledger } from "./state";
import type { BackgroundJob, BackgroundStore } from "./storage/background";
import type { SettleRequest, SettleResult } from "./types";

/**
 * How long a job may run before the guard stops waiting and charges the ceiling.
 * OpenAI documents no maximum run time for background responses (its guide
 * says only that they may take "several minutes"); six hours is the guard's
 * own bound, far beyond any documented model's run, and the reservation is
 * held for it.
 */
export const BACKGROUND_DEADLINE_MS = 6 * 3600_000;
/**
 * Delay before poll number `attempts` (then the last, repeated). The cap stays
 * well under the ~10 minutes OpenAI keeps a background response that was not
 * stored (`store: false`), so the final usage is read before it is gone.
 */
export const POLL_BACKOFF_MS: readonly number[] = [2_000, 5_000, 15_000, 60_000];
/** The reservation is held past the deadline by this margin, so the deadline settles it before expiry could release it. */
export const HOLD_MARGIN_MS = 3600_000;
/** Statuses of a response still running (OpenAI: "Keep polling while … queued or in_progress"); any other is final. */
const PENDING = new Set(["queued", "in_progress"]);

/** Whether a response with this status is still running upstream. */
export function stillRunning(status: string | null): boolean {
  return status !== null && PENDING.has(status);
}

/** What the proxy sends to hand a background job to the object (RPC `trackBackground`). */
export interface TrackBackgroundRequest {
  reservationId: string;
  /** The provider's id of the response (`resp_…`). */
  responseId: string;
  /** Registry name of the provider that runs it. */
  provider: string;
  /** The conversation the response adds to, settled with it. */
  conversationId?: string | null;
  /** Billing headers the call was sent with (lower case), sent again when polling. */
  headers?: Record<string, string>;
}

/** Delay before the poll after `attempts` polls. */
export function pollDelay(attempts: number): number {
  return POLL_BACKOFF_MS[Math.min(attempts, POLL_BACKOFF_MS.length - 1)] ?? 60_000;
}

/** A new job row for a reservation handed over at `now`. */
export function newJob(req: TrackBackgroundRequest, now: number): BackgroundJob {
  return {
    reservation_id: req.reservationId,
    response_id: req.responseId,
    provider: req.provider,
    started_at: now,
    next_poll_at: now + pollDelay(0),
    attempts: 0,
    deadline_at: now + BACKGROUND_DEADLINE_MS,
    conversation_id: req.conversationId ?? null,
    headers: req.headers && Object.keys(req.headers).length > 0 ? JSON.stringify(req.headers) : null,
  };
}

/** What one poll found. */
export type PollResult =
  | { kind: "pending" }
  /** Ended: settle from its usage, or at the ceiling when it reported none. */
  | { kind: "done"; status: string; usage: Usage | null };

/** Reads a retrieved response: pending, or ended with its usage. Unreadable answers count as pending (retried). */
export async function readPoll(res: Response): Promise<PollResult> {
  // 404: the provider no longer has it (deleted, or an unstored response past its ~10 minutes): it will never report usage.
  if (res.status === 404) return { kind: "done", status: "not_found", usage: null };
  if (!res.ok) return { kind: "pending" };
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    return { kind: "pending" };
  }
  const status = typeof (body as { status?: unknown } | null)?.status === "string" ? (body as { status: string }).status : null;
  if (status === null || PENDING.has(status)) return { kind: "pending" };
  return { kind: "done", status, usage: openaiUsage.fromJson("responses", body) };
}

/** What {@link pollDue} needs from the object. */
export interface PollDeps {
  jobs: BackgroundStore;
  provider: (name: string) => Provider | undefined;
  config: Config;
  settle: (req: SettleRequest) => Promise<SettleResult>;
  /** Runs a synchronous storage step in a transaction. */
  tx: (fn: () => void) => void;
}

const NO_USAGE: Usage = { inputTokens: 0, cachedInputTokens: 0, cacheWriteTokens: 0, outputTokens: 0 };

/** Polls every due job once; settles those that ended or passed their deadline. Returns how many settled. */
export async function pollDue(d: PollDeps, now: number): Promise<number> {
  let settled = 0;
  for (const job of d.jobs.due(now)) {
    const finish = async (usage: Usage | null) => {
      await d.settle({
        reservationId: job.reservation_id,
        // No usage (failed, cancelled, gone, or past the deadline): the provider may have billed partial work.
        usage: usage ?? NO_USAGE,
        outcome: usage ? "ok" : "ceiling",
        responseId: job.response_id,
        conversationId: job.conversation_id ?? undefined,
      });
      d.tx(() => d.jobs.remove(job.reservation_id));
      settled += 1;
    };
    if (job.deadline_at <= now) {
      await finish(null);
      continue;
    }
    const provider = d.provider(job.provider);
    if (!provider?.retrieve) {
      // Nothing can ever be read back: charge the ceiling now rather than hold the budget for hours.
      await finish(null);
      continue;
    }
    let result: PollResult;
    try {
      const headers = job.headers ? (JSON.parse(job.headers) as Record<string, string>) : {};
      result = await readPoll(await provider.retrieve("responses", job.response_id, d.config, headers));
    } catch {
      result = { kind: "pending" };
    }
    if (result.kind === "done") await finish(result.usage);
    else {
      const attempts = job.attempts + 1;
      d.tx(() => d.jobs.reschedule(job.reservation_id, Math.min(Date.now() + pollDelay(attempts), job.deadline_at), attempts));
    }
  }
  return settled;
}

/**
 * Takes over a background response's reservation (RPC from the proxy, instead of
 * settling from the `queued` reply): it stays open and the alarm polls the
 * provider until the job ends. False when the reservation is not open (the
 * proxy then settles it at the ceiling).
 */
export async function trackBackground(l: Ledger, req: TrackBackgroundRequest): Promise<{ tracked: boolean }> {
  const now = Date.now();
  if (!l.state.schemaReady) return { tracked: false };
  const tracked = l.ctx.storage.transactionSync(() => {
    if (l.store.reservation(req.reservationId)?.state !== "open") return false;
    l.jobs.insert(newJob(req, now));
    return true;
  });
  if (tracked) await scheduleAlarm(l, now + pollDelay(0));
  return { tracked };
}

/** Polls the background jobs that are due (alarm); settles those that ended or passed their deadline. */
export async function pollBackground(l: Ledger, now: number): Promise<number> {
  if (l.jobs.nextPollAt() === null) return 0;
  const config = loadConfig(l.env);
  return pollDue(
    {
      jobs: l.jobs,
      provider: (name) => providerNamed(name, config),
      config,
      settle: (r) => settle(l, r),
      tx: (fn) => l.ctx.storage.transactionSync(fn),
    },
    now,
  );
}
