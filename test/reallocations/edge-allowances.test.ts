/**
 * Reallocations on the edge path (vitest project `allowances`, ALLOWANCES=auto):
 * the allowance snapshot is built from the same adjusted windows as a
 * reserve. A feature spent to its limit gets no allowance (nothing left to
 * share) and is refused; once a reallocation gives it more, it is served
 * again and a busy subject on it decides at the edge — which needs the
 * object to size a hold against the adjusted limit.
 */
import { describe, expect, it } from "vitest";
import { decide, expectBlocked, monthCounter, pending, reallocTenant, setSpent } from "../helpers/reallocations";
import { one, untilLocal } from "../allowances/busy";

describe("an applied reallocation reaches the edge path", () => {
  it("a feature at its limit is refused; after +$1 it is served and decided at the edge", async () => {
    const { t, userKey, a, b } = await reallocTenant({ search: 0.01, spare: 5 });
    await setSpent(t, "feature:search", 10_000);
    const feature = { "x-budget-feature": "search" };
    // Two refusals: fewer than the 4 a second that make a subject busy, so no refused acquire backs it off.
    for (let i = 0; i < 2; i++) await expectBlocked(await one(userKey, feature), "feature_monthly_budget_exceeded");

    const r = await pending(t, { from: "feature:spare", to: "feature:search", amountUsd: 1, reason: "launch" }, a.key);
    expect((await decide(t, r.id, "approve", b.key)).status).toBe(200);
    expect((await one(userKey, feature)).status).toBe(200);
    await untilLocal(t, userKey, feature);
    // The hold sits in search's counter: sized against $1.01, not the spent-out $0.01.
    expect((await monthCounter(t, "feature:search")).reserved).toBeGreaterThan(0);
  });
});
