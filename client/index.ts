/**
 * `budget-guard/client`: the application layer's TypeScript client. Spend
 * that never passes the gateway (a provider SDK called directly, image or
 * search APIs, batch jobs) is held, committed and reported against the same
 * budgets as proxied calls. Types come from the guard's OpenAPI document
 * (client/schema.d.ts, `npm run client:types`). No dependencies: any runtime
 * with `fetch` (Node 18+, browsers, Workers).
 *
 * ```ts
 * const guard = new BudgetGuard({ baseUrl: "http://127.0.0.1:8787", key: process.env.GUARD_KEY! });
 * const answer = await guard.withBudget({ model: "gpt-4o-mini", inputTokens: 2000, maxOutputTokens: 500 }, async (hold) => {
 *   const r = await openai.chat.completions.create({ model: hold.model!, messages, max_tokens: hold.maxOutputTokens });
 *   return { value: r, usage: { model: hold.model!, inputTokens: r.usage!.prompt_tokens, outputTokens: r.usage!.completion_tokens } };
 * });
 * ```
 */
import { BudgetGuardError, errorOf, type GuardErrorBody } from "./errors";
import type { components } from "./schema";

export { BudgetExceededError, BudgetGuardError } from "./errors";

type Schemas = components["schemas"];
/** A hold, as `POST /v1/reservations` answers. */
export type Reservation = Schemas["Reservation"];
/** A commit's answer. */
export type ReservationCommit = Schemas["ReservationCommit"];
/** A release's answer. */
export type ReservationRelease = Schemas["ReservationRelease"];
/** A recorded spend. */
export type UsageRecord = Schemas["UsageRecord"];
/** The caller's budgets (`GET /v1/budget`). */
export type Budget = Schemas["Budget"];
/** Token counts, priced by the guard at the tenant's price for the model. */
export type Usage = Schemas["AppUsage"];

/** What to hold: an amount in USD, or a model call (priced like a proxied call of that size). */
export type Estimate = { amountUsd: number } | Schemas["ReservationEstimate"];
/** What the spend cost: USD, or token counts. */
export type Cost = { costUsd: number } | { usage: Usage };
/** What `withBudget`'s function resolves to: its value and what it cost. */
export type Outcome<T> = { value: T } & Cost;
/** Options of a reservation; `user` and `feature` override the client's. */
export type ReserveOptions = Omit<Schemas["ReservationRequest"], "amountUsd" | "estimate">;
/** A spend made elsewhere. */
export type UsageInput = Cost & Omit<Schemas["UsageRecordRequest"], "costUsd" | "usage">;

/** Options of {@link BudgetGuard}. */
export interface BudgetGuardOptions {
  /** The guard's origin, e.g. `http://127.0.0.1:8787`. */
  baseUrl: string;
  /** A guard key (`bg_<tenant>_...`) with role `user` or `service`. */
  key: string;
  /** A fetch to use instead of the global one (tests, proxies, Workers service bindings). */
  fetch?: typeof fetch;
  /** Sent as `X-Budget-User` (a service key must name its user, here or per call). */
  user?: string;
  /** Sent as `X-Budget-Feature`. */
  feature?: string;
  /** Pause before retrying a commit or usage record the guard could not take (both are idempotent). Default 250 ms. */
  retryDelayMs?: number;
}

const ATTEMPTS = 3;

/** The guard's application-layer API. */
export class BudgetGuard {
  private readonly base: string;
  private readonly doFetch: typeof fetch;

  constructor(private readonly opts: BudgetGuardOptions) {
    this.base = opts.baseUrl.replace(/\/+$/, "");
    this.doFetch = opts.fetch ?? ((input, init) => globalThis.fetch(input, init));
  }

  /** Holds budget in every scope the caller falls under; rejects with `BudgetExceededError` when it does not fit. */
  reserve(estimate: Estimate, options: ReserveOptions = {}): Promise<Reservation> {
    const { user, feature, ...rest } = options;
    const what = "amountUsd" in estimate ? { amountUsd: estimate.amountUsd } : { estimate };
    return this.send<Reservation>("POST", "/v1/reservations", { ...what, ...rest }, this.attribution(user, feature));
  }

  /** Records what a hold really cost. Idempotent: a repeat answers with the first commit (so it is retried when the guard is unreachable). */
  commit(reservation: string | { id: string }, cost: Cost): Promise<ReservationCommit> {
    const body = "usage" in cost ? { usage: cost.usage } : { costUsd: cost.costUsd };
    return this.retrying(() => this.send<ReservationCommit>("POST", `/v1/reservations/${encodeURIComponent(idOf(reservation))}/commit`, body));
  }

  /** Gives an uncommitted hold back. */
  release(reservation: string | { id: string }): Promise<ReservationRelease> {
    return this.send<ReservationRelease>("DELETE", `/v1/reservations/${encodeURIComponent(idOf(reservation))}`);
  }

  /**
   * Reserve → run `fn` → commit the cost it reports → resolve its value. A block rejects with
   * `BudgetExceededError` before `fn` runs; if `fn` throws, the hold is released and the error rethrown.
   * An outcome without a cost (plain JavaScript callers) is committed at the whole hold: what cannot be
   * measured counts at its ceiling, never at zero.
   */
  async withBudget<T>(estimate: Estimate, fn: (reservation: Reservation) => Promise<Outcome<T>>, options: ReserveOptions = {}): Promise<T> {
    const hold = await this.reserve(estimate, options);
    let outcome: Outcome<T>;
    try {
      outcome = await fn(hold);
    } catch (err) {
      // The hold would expire anyway; a failed release must not hide why fn failed.
      await this.release(hold).catch(() => undefined);
      throw err;
    }
    const cost: Cost =
      "usage" in outcome && outcome.usage
        ? { usage: outcome.usage }
        : "costUsd" in outcome && typeof outcome.costUsd === "number"
          ? { costUsd: outcome.costUsd }
          : { costUsd: hold.amountUsd };
    await this.commit(hold, cost);
    return outcome.value;
  }

  /** The caller's budgets: every scope with limit, spent, reserved, remaining and reset. */
  budget(options: { user?: string; feature?: string } = {}): Promise<Budget> {
    return this.send<Budget>("GET", "/v1/budget", undefined, this.attribution(options.user, options.feature));
  }

  /**
   * Records spend made outside the guard. The Idempotency-Key (a new one per call unless given) makes a
   * retry safe: it is retried when the guard is unreachable, and a repeat records nothing new.
   */
  recordUsage(usage: UsageInput, options: { idempotencyKey?: string } = {}): Promise<UsageRecord> {
    const { user, feature, ...body } = usage;
    const headers = { ...this.attribution(user, feature), "Idempotency-Key": options.idempotencyKey ?? crypto.randomUUID() };
    return this.retrying(() => this.send<UsageRecord>("POST", "/v1/usage", body, headers));
  }

  private attribution(user?: string, feature?: string): Record<string, string> {
    const h: Record<string, string> = {};
    const u = user ?? this.opts.user;
    const f = feature ?? this.opts.feature;
    if (u) h["X-Budget-User"] = u;
    if (f) h["X-Budget-Feature"] = f;
    return h;
  }

  private async send<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    let res: Response;
    try {
      res = await this.doFetch(this.base + path, {
        method,
        headers: { authorization: `Bearer ${this.opts.key}`, ...(body === undefined ? {} : { "content-type": "application/json" }), ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      throw new BudgetGuardError(0, null, null, `The budget guard at ${this.base} could not be reached: ${String(err)}`);
    }
    const text = await res.text();
    let json: unknown = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = null;
    }
    if (!res.ok) throw errorOf(res.status, json as GuardErrorBody | null, res.headers);
    return json as T;
  }

  private async retrying<T>(op: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await op();
      } catch (err) {
        if (!(err instanceof BudgetGuardError) || !err.retryable || attempt >= ATTEMPTS) throw err;
        await new Promise((r) => setTimeout(r, (this.opts.retryDelayMs ?? 250) * attempt));
      }
    }
  }
}

function idOf(r: string | { id: string }): string {
  return typeof r === "string" ? r : r.id;
}
