/**
 * The tenant's side of the global budget: a lease of global money held in
 * the tenant object's memory. Reserves spend from it with no round trip; the
 * object asks the GlobalLedger again only when the lease runs low, expires,
 * or the day rolls over. If the GlobalLedger cannot be reached, the tenant
 * keeps spending what its current lease has left, then fails closed.
 */
import type { ScopeWindow } from "../budget/types";
import { windowsAt } from "../budget/windows";
import type { GlobalLedger } from "../global/global-ledger";
import type { LeaseGrant } from "../global/types";

type State =
  | { kind: "unknown" }
  | { kind: "unlimited"; until: number }
  | { kind: "blocked"; until: number }
  | { kind: "unavailable"; until: number }
  | {
      kind: "lease";
      id: string;
      available: number;
      granted: number;
      expiresAt: number;
      day: string;
      month: string;
      window: "daily" | "monthly";
      limit: number;
      resetAt: number;
      /** Nothing more was left when last asked: do not ask again on every request. */
      exhaustedUntil: number;
    };

/** Return a lease this long before it expires, so an idle lease goes back instead of counting as spent. */
export const RETURN_BEFORE_EXPIRY_MS = 3_000;
const RATE_WINDOW_MS = 10_000;

/** What the reserve path learns about the global scope. */
export type GlobalView = { kind: "none" } | { kind: "blocked" } | { kind: "unavailable" } | { kind: "window"; window: ScopeWindow };

/** Holds and spends one tenant's global lease. */
export class GlobalLeaseHolder {
  private state: State = { kind: "unknown" };
  private readonly recent: { at: number; amount: number }[] = [];
  private readonly charged = new Map<string, string>();
  private inflight: Promise<void> | null = null;

  constructor(
    private readonly tenantId: string,
    private readonly global: () => DurableObjectStub<GlobalLedger>,
  ) {}

  /** Refreshes the lease if it is missing, stale or of an ended day; one call at a time. */
  async ensure(now: number, want = 0): Promise<void> {
    if (!this.fresh(now, want)) await this.acquire(now, want);
  }

  /** Whether the current state can answer a reserve that needs `want` without asking the GlobalLedger. */
  private fresh(now: number, want: number): boolean {
    const s = this.state;
    switch (s.kind) {
      case "unlimited":
      case "blocked":
      case "unavailable":
        return s.until > now;
      case "lease":
        return (
          s.expiresAt - RETURN_BEFORE_EXPIRY_MS > now &&
          s.day === windowsAt(now, "UTC").daily.key &&
          (s.available >= want || s.exhaustedUntil > now)
        );
      case "unknown":
        return false;
    }
  }

  /** Asks for (more) global budget: extends the current lease, or starts a new one. */
  async acquire(now: number, want: number): Promise<void> {
    // One call at a time; a caller that needed more than the call in flight got asks again after it.
    if (this.inflight) {
      while (this.inflight) await this.inflight;
      // The call we waited for may have brought enough already.
      if (this.fresh(now, want) && (want > 0 || this.state.kind !== "lease" || !this.low())) return;
    }
    const s = this.state;
    this.inflight = (async () => {
      let grant: LeaseGrant;
      try {
        grant = await this.global().acquire({
          tenant: this.tenantId,
          leaseId: s.kind === "lease" ? s.id : null,
          remaining: s.kind === "lease" ? Math.max(0, s.available) : null,
          want,
          ratePerSec: this.rate(now),
        });
      } catch (err) {
        console.error(JSON.stringify({ level: "error", msg: "global ledger unreachable", tenant: this.tenantId, error: String(err) }));
        // Keep spending the current lease until it expires; without one, fail closed for a moment.
        if (this.state.kind !== "lease" || this.state.expiresAt <= now) this.state = { kind: "unavailable", until: now + 1000 };
        return;
      }
      this.apply(grant, now);
    })().finally(() => {
      this.inflight = null;
    });
    return this.inflight;
  }

  private apply(g: LeaseGrant, now: number): void {
    if (g.kind !== "lease") {
      this.state = { kind: g.kind, until: g.checkAfter };
      return;
    }
    const prev = this.state;
    const sameLease = prev.kind === "lease" && prev.id === g.leaseId;
    this.state = {
      kind: "lease",
      id: g.leaseId,
      available: (sameLease ? prev.available : 0) + g.grant,
      granted: (sameLease ? prev.granted : 0) + g.grant,
      expiresAt: g.expiresAt,
      day: g.day,
      month: g.month,
      window: g.window,
      limit: g.limit,
      resetAt: g.resetAt,
      exhaustedUntil: g.grant === 0 ? now + 1000 : 0,
    };
  }

  /** The global scope as the policy sees it: a window whose remaining budget is what the lease has left. */
  view(): GlobalView {
    const s = this.state;
    switch (s.kind) {
      case "lease":
        return {
          kind: "window",
          window: {
            scope: { kind: "global", id: "" },
            window: s.window,
            key: s.window === "daily" ? s.day : s.month,
            resetAt: s.resetAt,
            limit: s.limit,
            spent: s.limit - Math.max(0, s.available),
            reserved: 0,
            softPct: 2,
          },
        };
      case "blocked":
        return { kind: "blocked" };
      case "unavailable":
        return { kind: "unavailable" };
      default:
        return { kind: "none" };
    }
  }

  /** Spends from the lease for a reservation (called in the same synchronous turn as the decision). */
  consume(reservationId: string, amount: number, now: number): void {
    const s = this.state;
    if (s.kind !== "lease") return;
    s.available -= amount;
    this.charged.set(reservationId, s.id);
    this.recent.push({ at: now, amount });
  }

  /** Gives back the difference between a reservation and what it cost, to the lease it came from. */
  refund(reservationId: string, amount: number): void {
    const leaseId = this.charged.get(reservationId);
    if (leaseId === undefined) return;
    this.charged.delete(reservationId);
    const s = this.state;
    // A refund for a lease that has since ended stays counted as spent globally: conservative, never over.
    if (s.kind === "lease" && s.id === leaseId) s.available += amount;
  }

  /** Whether `reservationId` is charged to the lease held now (so a refund to it lands there). */
  chargedNow(reservationId: string): boolean {
    const s = this.state;
    return s.kind === "lease" && this.charged.get(reservationId) === s.id;
  }

  /** True when the lease should be topped up in the background (less than half left). */
  low(): boolean {
    const s = this.state;
    return s.kind === "lease" && s.exhaustedUntil <= Date.now() && s.available < s.granted / 2;
  }

  /** The operator changed the global settings: a cached "no limit" or "blocked" answer is stale. */
  invalidate(): void {
    if (this.state.kind !== "lease") this.state = { kind: "unknown" };
  }

  /** The GlobalLedger pulls the lease back (limit lowered, traffic blocked): returns what is unspent. */
  revoke(leaseId: string): number {
    const s = this.state;
    if (s.kind !== "lease" || s.id !== leaseId) return 0;
    this.state = { kind: "unknown" };
    return Math.max(0, s.available);
  }

  /** When the alarm should return an idle lease, if one is held. */
  returnAt(): number | null {
    return this.state.kind === "lease" ? this.state.expiresAt - RETURN_BEFORE_EXPIRY_MS : null;
  }

  /** Returns the lease if it is about to expire. */
  async returnIfDue(now: number): Promise<void> {
    const s = this.state;
    if (s.kind !== "lease" || s.expiresAt - RETURN_BEFORE_EXPIRY_MS > now) return;
    this.state = { kind: "unknown" };
    try {
      await this.global().releaseLease({ leaseId: s.id, remaining: Math.max(0, s.available) });
    } catch {
      // The GlobalLedger counts an unreturned lease as spent at its expiry: safe, if pessimistic.
    }
  }

  private rate(now: number): number {
    while (this.recent.length > 0 && (this.recent[0]?.at ?? now) < now - RATE_WINDOW_MS) this.recent.shift();
    const total = this.recent.reduce((a, r) => a + r.amount, 0);
    return total / (RATE_WINDOW_MS / 1000);
  }
}
