/** The GlobalLedger's RPC contract (money in micro-USD unless named Usd). */

/** Operator settings. */
export interface GlobalSettings {
  limits: { daily?: number | null; monthly?: number | null };
  /** The operator's stop switch: no lease is granted, every tenant blocks. */
  blocked: boolean;
  /** Largest single lease, in USD. */
  leaseCapUsd: number;
}

/** A tenant asking for global budget. */
export interface LeaseRequest {
  tenant: string;
  /** The lease being extended (or returned, when the window rolled over). */
  leaseId: string | null;
  /** What the current lease still has unspent, returned if it is ended. */
  remaining: number | null;
  /** At least this much is needed now. */
  want: number;
  /** Recent spend rate, micro-USD per second. */
  ratePerSec: number;
}

/** The answer. */
export type LeaseGrant =
  | { kind: "unlimited"; checkAfter: number }
  | { kind: "blocked"; checkAfter: number }
  | {
      kind: "lease";
      leaseId: string;
      /** Added to the lease by this call (zero when nothing is left). */
      grant: number;
      expiresAt: number;
      day: string;
      month: string;
      /** The window with the least headroom, for block codes and headers. */
      window: "daily" | "monthly";
      limit: number;
      resetAt: number;
    };

/** `GET /admin/v1/global`. */
export interface GlobalStatus {
  limits: { daily?: number | null; monthly?: number | null };
  blocked: boolean;
  leaseCapUsd: number;
  /** `spentMicros`: committed by ended leases; `inUseMicros`: spent from open leases as last reported; `outstandingMicros`: granted to open leases. */
  daily: { window: string; spentMicros: number; inUseMicros: number; outstandingMicros: number };
  monthly: { window: string; spentMicros: number; inUseMicros: number; outstandingMicros: number };
  leases: { tenant: string; grantedMicros: number; expiresAt: string }[];
  calls: { acquire: number; release: number; revoke: number };
}
