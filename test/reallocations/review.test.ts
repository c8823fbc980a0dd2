/**
 * The monthly review's reallocation part: open requests, sources under 50%
 * utilization with what each can give, and a "Request +$X" suggestion that
 * carries the request body satisfying it — accepted as-is by POST
 * reallocations and applicable — or null when no source can give X.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { addMonths } from "../../src/ledger/plan";
import type { TenantLedger } from "../../src/ledger/tenant-ledger";
import { admin } from "../helpers/guard";
import { decide, reallocTenant, requestRealloc, type ReallocationBody } from "../helpers/reallocations";

const thisMonth = () => new Date().toISOString().slice(0, 7);

interface Review {
  month: string;
  features: {
    feature: string;
    allocatedUsd: number | null;
    action: string;
    suggestion: { action: string; reallocation: { from: string; to: string; amountUsd: number; reason: string } | null };
  }[];
  reallocations: {
    open: ReallocationBody[];
    sources: { scope: string; limitUsd: number; usedUsd: number; utilization: number; canGiveUsd: number }[];
  };
}

/** Spend per feature this month and last month (micro-USD). */
async function seed(t: string, rows: [string, number, number][]): Promise<void> {
  const m = thisMonth();
  await runInDurableObject(env.TENANT_LEDGER.getByName(t), (_i: TenantLedger, s) => {
    for (const [scope, now, prev] of rows) {
      s.storage.sql.exec(`INSERT INTO counters (scope, win, spent, reserved, requests) VALUES (?, ?, ?, 0, 1)`, scope, `month:${m}`, now);
      s.storage.sql.exec(
        `INSERT INTO counters (scope, win, spent, reserved, requests) VALUES (?, ?, ?, 0, 1)`,
        scope,
        `month:${addMonths(m, -1)}`,
        prev,
      );
    }
  });
}

const review = async (t: string, q = "") => (await (await admin("GET", `/tenants/${t}/review${q}`)).json()) as Review;

describe("review suggestions", () => {
  it("a Request +$X carries a body from the feature with most room; POSTed as-is it is accepted and applies", async () => {
    const { t, a } = await reallocTenant({ "data-science": 50, "ml-ops": 30, infra: 25, spare: 40 });
    await admin("PUT", `/tenants/${t}/users/ann`, { limits: { monthly: 100 } });
    // The seed's table this month, and a spare feature barely used.
    await seed(t, [
      ["feature:data-science", 48_500_000, 40_416_667],
      ["feature:ml-ops", 12_200_000, 12_842_105],
      ["feature:infra", 8_100_000, 7_363_636],
      ["feature:spare", 2_000_000, 2_000_000],
    ]);
    const r = await review(t);
    const by = Object.fromEntries(r.features.map((f) => [f.feature, f]));
    expect(by["data-science"]!.action).toBe("Request +$10.00");
    expect(by["data-science"]!.suggestion).toEqual({
      action: "Request +$10.00",
      reallocation: {
        from: "feature:spare",
        to: "feature:data-science",
        amountUsd: 10,
        reason: expect.stringContaining("data-science at 97%"),
      },
    });
    expect(by["ml-ops"]!.suggestion).toEqual({ action: "OK, monitor", reallocation: null });
    // Sources: under 50%, each with what it can give staying at or under 50% of its reduced limit (infra: 25 − 2 × 8.10).
    expect(r.reallocations.sources.map((s) => [s.scope, s.canGiveUsd])).toEqual([
      ["user:ann", 100],
      ["feature:spare", 36],
      ["feature:infra", 8.8],
      ["feature:ml-ops", 5.6],
    ]);
    expect(r.reallocations.open).toEqual([]);

    const body = by["data-science"]!.suggestion.reallocation;
    const posted = await requestRealloc(t, body, a.key);
    expect(posted.status).toBe(201);
    const req = (await posted.json()) as ReallocationBody;

    // Open requests are listed, and what they ask of a source is no longer offered.
    const during = await review(t);
    expect(during.reallocations.open.map((o) => o.id)).toEqual([req.id]);
    expect(during.reallocations.sources.find((s) => s.scope === "feature:spare")?.canGiveUsd).toBe(26);

    expect((await decide(t, req.id, "approve")).status).toBe(200);
    const after = Object.fromEntries((await review(t)).features.map((f) => [f.feature, f]));
    expect(after["data-science"]).toMatchObject({ allocatedUsd: 60, action: "OK, growing as expected" });
    expect(after["spare"]).toMatchObject({ allocatedUsd: 30 });
  });

  it("null when no feature can give all of X; past months suggest no body", async () => {
    const { t } = await reallocTenant({ hot: 50, cool: 30 });
    await seed(t, [
      ["feature:hot", 48_500_000, 40_416_667],
      ["feature:cool", 12_200_000, 12_000_000],
    ]);
    const now = await review(t);
    const hot = now.features.find((f) => f.feature === "hot")!;
    expect(hot.suggestion).toEqual({ action: "Request +$10.00", reallocation: null });
    expect(now.reallocations.sources.map((s) => s.scope)).toEqual(["feature:cool"]);
    const past = await review(t, `?month=${addMonths(thisMonth(), -1)}`);
    expect(past.reallocations).toEqual({ open: [], sources: [] });
    for (const f of past.features) expect(f.suggestion.reallocation).toBeNull();
  });
});
