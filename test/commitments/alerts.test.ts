/**
 * `commitment_underuse` and `commitment_overrun`, through the worker and the
 * tenant object's alarm (the anomaly check, where the burn-rate forecast is
 * checked): queued when the month's projection leaves ±10% of the
 * commitment, each once a month, in the existing outbox.
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Ledger } from "../../src/ledger/state";
import type { TenantLedger } from "../../src/ledger/tenant-ledger";
import { restoreAfterEach } from "../helpers/traffic";
import { DAY, freeze, ledger, MAY_11, spend, sql, tenantWith, unfreezeAfterEach } from "./setup";

restoreAfterEach();
unfreezeAfterEach();

/** Runs the object's alarm with the anomaly check due, as it is 5 minutes after spend moved. */
async function anomalyCheck(t: string): Promise<void> {
  await runInDurableObject(ledger(t), (instance: TenantLedger) => {
    (instance as unknown as { l: Ledger }).l.state.anomalyDueAt = 0;
  });
  await runDurableObjectAlarm(ledger(t));
}

async function commitmentAlerts(t: string) {
  const rows = await sql<{ kind: string; win: string; threshold: number; payload: string }>(
    t,
    `SELECT kind, win, threshold, payload FROM alerts WHERE kind LIKE 'commitment_%' ORDER BY created_at, kind`,
  );
  return rows.map((r) => ({ kind: r.kind, win: r.win, threshold: r.threshold, payload: JSON.parse(r.payload) as Record<string, unknown> }));
}

describe("commitment alerts", () => {
  it("underuse: a projection under 90% after a week, once a month", async () => {
    freeze(MAY_11);
    // $0.003 net in 10 days projects to $0.0093: far under a $0.05 commitment.
    const { t, key } = await tenantWith({ commitment: { monthlyUsd: 0.05, discountPct: 25 } });
    expect((await spend(key, 400)).status).toBe(200);
    await anomalyCheck(t);
    await anomalyCheck(t);
    const alerts = await commitmentAlerts(t);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ kind: "commitment_underuse", win: "month:2030-05", threshold: 0.9 });
    expect(alerts[0]!.payload).toMatchObject({
      kind: "commitment_underuse",
      scope: "tenant",
      window: "monthly",
      spentUsd: 0.003,
      limitUsd: 0.05,
      detail: expect.stringContaining("projected $0.01 (19%) of the $0.05 committed"),
    });
    // Delivered through the outbox like every alert (no webhook configured here).
    const listed = (await ledger(t).listAlerts()).filter((a) => a.kind === "commitment_underuse");
    expect(listed).toHaveLength(1);
  });

  it("overrun: a projection over 110%, once a month; underuse too when it came first; again next month", async () => {
    freeze(MAY_11 - 3 * DAY); // May 8, a week in: $0.0003 net projects to $0.00133 of $0.01
    const { t, key } = await tenantWith({ commitment: { monthlyUsd: 0.01, discountPct: 25 } });
    expect((await spend(key, 40)).status).toBe(200);
    await anomalyCheck(t);
    expect((await commitmentAlerts(t)).map((a) => a.kind)).toEqual(["commitment_underuse"]);

    freeze(MAY_11); // May 11: $0.0048 net projects to $0.01488, over $0.011
    expect((await spend(key, 600)).status).toBe(200);
    await anomalyCheck(t);
    expect((await spend(key, 100)).status).toBe(200);
    await anomalyCheck(t);
    const may = await commitmentAlerts(t);
    expect(may.map((a) => [a.kind, a.win])).toEqual([
      ["commitment_underuse", "month:2030-05"],
      ["commitment_overrun", "month:2030-05"],
    ]);
    expect(may[1]).toMatchObject({ threshold: 1.1, payload: expect.objectContaining({ spentUsd: 0.0048, limitUsd: 0.01 }) });

    // A new month: June's own spend, projected on June 11, is over again.
    freeze(Date.UTC(2030, 5, 2));
    expect((await spend(key, 1_000)).status).toBe(200);
    freeze(Date.UTC(2030, 5, 11));
    await anomalyCheck(t);
    expect((await commitmentAlerts(t)).map((a) => [a.kind, a.win])).toEqual([
      ["commitment_underuse", "month:2030-05"],
      ["commitment_overrun", "month:2030-05"],
      ["commitment_overrun", "month:2030-06"],
    ]);
  });

  it("inside the band, or without a commitment, nothing", async () => {
    freeze(MAY_11);
    // $0.003 net in 10 days projects to $0.0093: inside ±10% of $0.009 (0.0081–0.0099).
    const inside = await tenantWith({ commitment: { monthlyUsd: 0.009, discountPct: 25 } });
    expect((await spend(inside.key, 400)).status).toBe(200);
    await anomalyCheck(inside.t);
    expect(await commitmentAlerts(inside.t)).toEqual([]);

    const none = await tenantWith({});
    expect((await spend(none.key, 400)).status).toBe(200);
    await anomalyCheck(none.t);
    expect(await commitmentAlerts(none.t)).toEqual([]);
  });
});
