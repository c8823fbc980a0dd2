/** The admin API's answers as the dashboard reads them (USD amounts; see /admin/v1/openapi.json). */

export interface Limits {
  daily?: number | null;
  monthly?: number | null;
}

export interface Tenant {
  id: string;
  name: string;
  timezone: string;
  limits: Limits;
  mode: "enforce" | "shadow";
  softLimitPct: number;
  frozenAt?: string;
  frozenReason?: string;
}

export interface TenantListing {
  tenants: { id: string; name: string; timezone: string; createdAt: string; updatedAt: string }[];
  next: string | null;
}

export interface UsageLine {
  group: string;
  spendUsd: number;
  limitUsd: number | null;
  remainingUsd: number | null;
  utilization: number | null;
  requests: number;
}

export interface UsageReport {
  period: "day" | "month";
  at: string;
  groupBy: "user" | "feature" | "model";
  total: UsageLine;
  groups: UsageLine[];
}

export interface PlanReport {
  month: string;
  method: "seasonal" | "trend" | "flat";
  historyMonths: number;
  rows: {
    month: string;
    plannedUsd: number | null;
    actualUsd: number | null;
    lastYearActualUsd: number | null;
    forecastUsd: number;
    projectedOverUsd: number | null;
  }[];
}

export interface ScopeWindow {
  scope: "tenant" | "feature" | "user";
  id: string;
  window: "daily" | "monthly";
  period: string;
  limitUsd: number | null;
  spentUsd: number;
  reservedUsd: number;
  remainingUsd: number | null;
  utilization: number | null;
  resetsAt: string;
}

export interface AlertInfo {
  id: string;
  scope: string;
  win: string;
  kind: string;
  threshold: number;
  state: string;
  attempts: number;
  createdAt: string;
  deliveredAt: string | null;
  lastError: string | null;
  deliveries: {
    dest: string;
    state: string;
    attempts: number;
    lastError: string | null;
    deliveredAt: string | null;
    nextAttemptAt: string | null;
  }[];
}

export interface KeyInfo {
  id: string;
  name: string;
  role: "user" | "service" | "admin";
  userId: string | null;
  feature: string | null;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
}

export interface ReviewReport {
  month: string;
  previousMonth: string;
  features: {
    feature: string;
    allocatedUsd: number | null;
    spentUsd: number;
    utilization: number | null;
    previousSpentUsd: number;
    trend: number | null;
    action: string;
  }[];
}

export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  action: string;
  target: string;
  before: unknown;
  after: unknown;
}

export interface GlobalStatus {
  limits: Limits;
  blocked: boolean;
  leaseCapUsd: number;
  daily: { window: string; spentUsd: number; outstandingUsd: number };
  monthly: { window: string; spentUsd: number; outstandingUsd: number };
  leases: { tenant: string; grantedUsd: number; expiresAt: string }[];
}
