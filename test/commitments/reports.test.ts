/**
 * The commitment in the reports, through the worker, at a frozen clock 10 of
 * May's 31 days in: the monthly usage report and the review carry
 * `commitment` (committed, list, net, savings, utilization, the month-end
 * projection at the month-to-date pace and the shortfall), every usage line
 * its list price, and the chargeback CSV appends list and net columns.
 */
import { describe, expect, it } from "vitest";
import { ADMIN_TOKEN, admin, call } from "../helpers/guard";
import { restoreAfterEach } from "../helpers/traffic";
import { freeze, MAY_11, spend, tenantWith, unfreezeAfterEach } from "./setup";

restoreAfterEach();
unfreezeAfterEach();

interface Line {
  group: string;
  spendUsd: number;
  listUsd?: number;
  requests: number;
}
interface UsageBody {
  total: Line;
  groups: Line[];
  commitment?: Record<string, number> | null;
}

const get = async <T>(path: string): Promise<T> => (await (await admin("GET", path)).json()) as T;

describe("the commitment's month in the reports", () => {
  it("usage (period=month) and review show list, net, savings, utilization and the projected shortfall", async () => {
    freeze(MAY_11);
    const { t, key } = await tenantWith({ commitment: { monthlyUsd: 0.05, discountPct: 25 } });
    // Two calls: $0.004 + $0.002 list, $0.003 + $0.0015 net.
    expect((await spend(key, 400)).status).toBe(200);
    expect((await spend(key, 200)).status).toBe(200);

    // Net $0.0045 in 10 of 31 days projects to $0.01395; $0.05 − $0.01395 is short.
    const expected = {
      committedUsd: 0.05,
      listUsd: 0.006,
      netUsd: 0.0045,
      savingsUsd: 0.0015,
      utilization: 0.09,
      projectedUsd: 0.01395,
      projectedShortfallUsd: 0.03605,
    };
    const month = await get<UsageBody>(`/tenants/${t}/usage?period=month&groupBy=model`);
    expect(month.commitment).toEqual(expected);
    expect(month.total).toMatchObject({ spendUsd: 0.0045, listUsd: 0.006, requests: 2 });
    expect(month.groups).toEqual([expect.objectContaining({ group: "mock-large", spendUsd: 0.0045, listUsd: 0.006 })]);

    const byUser = await get<UsageBody>(`/tenants/${t}/usage?period=month&at=2030-05&groupBy=user`);
    expect(byUser.groups).toEqual([expect.objectContaining({ group: "u", spendUsd: 0.0045, listUsd: 0.006 })]);
    expect(byUser.commitment).toEqual(expected);

    const review = await get<{ month: string; commitment: unknown }>(`/tenants/${t}/review`);
    expect(review.month).toBe("2030-05");
    expect(review.commitment).toEqual(expected);

    // A day's report has lines at list beside net, and no month block.
    const day = await get<UsageBody>(`/tenants/${t}/usage?period=day&groupBy=feature`);
    expect(day.total).toMatchObject({ spendUsd: 0.0045, listUsd: 0.006 });
    expect(day).not.toHaveProperty("commitment");
  });

  it("a closed month projects to what it spent; a month with no spend is all shortfall", async () => {
    freeze(MAY_11);
    const { t, key } = await tenantWith({ commitment: { monthlyUsd: 0.01, discountPct: 25 } });
    expect((await spend(key, 400)).status).toBe(200);
    freeze(MAY_11 + 31 * 86_400_000); // June 11
    const may = await get<{ commitment: Record<string, number> }>(`/tenants/${t}/review?month=2030-05`);
    expect(may.commitment).toMatchObject({ netUsd: 0.003, listUsd: 0.004, projectedUsd: 0.003, projectedShortfallUsd: 0.007, utilization: 0.3 });
    const june = await get<{ commitment: Record<string, number> }>(`/tenants/${t}/review`);
    expect(june.commitment).toMatchObject({ netUsd: 0, listUsd: 0, savingsUsd: 0, projectedShortfallUsd: 0.01, utilization: 0 });
  });

  it("a tenant without a commitment reports commitment: null, and no list price on its lines", async () => {
    freeze(MAY_11);
    const { t, key } = await tenantWith({});
    expect((await spend(key, 400)).status).toBe(200);
    const month = await get<UsageBody>(`/tenants/${t}/usage?period=month`);
    expect(month.commitment).toBeNull();
    expect(month.total).not.toHaveProperty("listUsd");
    expect((await get<{ commitment: unknown }>(`/tenants/${t}/review`)).commitment).toBeNull();
  });

  it("the chargeback CSV keeps its columns and appends list_usd and net_usd", async () => {
    freeze(MAY_11);
    const { t, key } = await tenantWith({ commitment: { monthlyUsd: 1, discountPct: 25 } });
    expect((await spend(key, 400)).status).toBe(200);
    const res = await call(`/admin/v1/tenants/${t}/usage?period=month&groupBy=user`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, accept: "text/csv" },
    });
    const lines = (await res.text()).split("\r\n").filter((l) => l.length > 0);
    expect(lines[0]).toBe(
      "tenant,tenant_name,period,at,group_by,group,spend_usd,limit_usd,remaining_usd,utilization,requests,list_usd,net_usd",
    );
    expect(lines[1]).toBe(`${t},${t},month,2030-05,user,total,0.003,,,,1,0.004,0.003`);
    expect(lines[2]).toBe(`${t},${t},month,2030-05,user,u,0.003,,,,1,0.004,0.003`);

    // Without a commitment list equals net.
    const plain = await tenantWith({});
    expect((await spend(plain.key, 400)).status).toBe(200);
    const csv = await (
      await call(`/admin/v1/tenants/${plain.t}/usage?period=month&groupBy=user`, {
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, accept: "text/csv" },
      })
    ).text();
    expect(csv.split("\r\n")[1]).toBe(`${plain.t},${plain.t},month,2030-05,user,total,0.004,,,,1,0.004,0.004`);
  });
});
