/**
 * Committed-use discounts, the object's side: the `commitment` block of the
 * monthly usage and review reports, the list price beside each usage line,
 * and the underuse / overrun alerts judged in the anomaly check (the alarm,
 * never the request path). Arithmetic in src/budget/commitment.ts.
 *
 * Net spend is the tenant's monthly counter (what its budget counts); the
 * list price is that plus the savings the rollups record per call, so
 * `listUsd − netUsd` is exactly what the discount saved.
 */
import { BAND, commitmentReport, judgeCommitment, projectMonth, type CommitmentAlert, type CommitmentReport } from "../budget/commitment";
import { toUsd } from "../budget/limits";
import type { TenantConfig } from "../budget/tenant-config";
import { windowsAt } from "../budget/windows";
import type { UsageReport } from "./reports";
import type { Ledger } from "./state";
import type { LedgerStore } from "./storage";
import { CommitmentStore } from "./storage/commitments";

/** Net micro-USD the tenant spent in `month` (`YYYY-MM`), closed months from history. */
function netSpent(store: LedgerStore, month: string): number {
  return store.counterRows("tenant", `month:${month}`)[0]?.spent ?? 0;
}

/**
 * The month's projected net: the month-to-date pace for the tenant's current
 * month; the spend itself for a closed month (and 0 for one not begun).
 */
function projected(cfg: TenantConfig, month: string, net: number, now: number): number {
  const w = windowsAt(now, cfg.timezone).monthly;
  return w.key === `month:${month}` ? projectMonth(net, w.startsAt, w.resetAt, now) : net;
}

/** The report block for `month` (`YYYY-MM`); null when the tenant has no commitment. */
export function commitmentFor(l: Ledger, cfg: TenantConfig, month: string, now: number): CommitmentReport | null {
  const c = cfg.commitment;
  if (!c) return null;
  const net = netSpent(l.store, month);
  const saved = new CommitmentStore(l.sql).savings("month", month, "tenant").get("") ?? 0;
  return commitmentReport(c, net + saved, net, projected(cfg, month, net, now));
}

const micros = (usd: number) => Math.round(usd * 1_000_000);

/**
 * A usage report with the list price on every line (`listUsd`, when a
 * discount applies to the tenant or to the period) and, for a month, the
 * `commitment` block.
 */
export function withCommitment(l: Ledger, cfg: TenantConfig, report: UsageReport, now: number): UsageReport {
  const by = report.groupBy;
  const saved = new CommitmentStore(l.sql).savings(report.period, report.at, by);
  const total = [...saved.values()].reduce((a, b) => a + b, 0);
  const out: UsageReport = { ...report };
  if (cfg.commitment || total > 0) {
    out.total = { ...report.total, listUsd: toUsd(micros(report.total.spendUsd) + total) };
    out.groups = report.groups.map((g) => ({ ...g, listUsd: toUsd(micros(g.spendUsd) + (saved.get(g.group) ?? 0)) }));
  }
  if (report.period === "month") out.commitment = commitmentFor(l, cfg, report.at, now);
  return out;
}

/** An alert to queue, in the outbox's terms (src/ledger/alerts.ts `queueAlert`). */
export interface CommitmentAlertArgs {
  kind: CommitmentAlert;
  scope: "tenant";
  win: string;
  window: "monthly";
  threshold: number;
  spent: number;
  limit: number;
  resetAt: number;
  detail: string;
}

/**
 * The `commitment_overrun` or `commitment_underuse` alert this month's
 * projection calls for, or null: when it leaves the ±10% band. Queued by the
 * anomaly check; the outbox dedupes on tenant × month × kind × threshold, so
 * each goes out at most once a month.
 */
export function commitmentAlert(store: LedgerStore, cfg: TenantConfig, now: number): CommitmentAlertArgs | null {
  const commitment = cfg.commitment;
  if (!commitment) return null;
  const w = windowsAt(now, cfg.timezone).monthly;
  const committed = micros(commitment.monthlyUsd);
  const net = store.counterRows("tenant", w.key)[0]?.spent ?? 0;
  const kind = judgeCommitment(committed, net, w.startsAt, w.resetAt, now);
  if (!kind) return null;
  const projection = projectMonth(net, w.startsAt, w.resetAt, now);
  const pct = Math.round((projection / committed) * 100);
  return {
    kind,
    scope: "tenant",
    win: w.key,
    window: "monthly",
    threshold: kind === "commitment_overrun" ? BAND.over : BAND.under,
    spent: net,
    limit: committed,
    resetAt: w.resetAt,
    detail: `projected $${toUsd(projection).toFixed(2)} (${pct}%) of the $${commitment.monthlyUsd.toFixed(2)} committed; $${toUsd(net).toFixed(2)} net so far`,
  };
}
