/** The overview's chart plots one point per usage report the page read, with the daily limit line; the gauges name every scope. */
import { describe, expect, it } from "vitest";
import { settled, signIn } from "./helpers/browser.mjs";
import { dashboard } from "./helpers/dashboard.mjs";
import { admin } from "./helpers/seed.mjs";

const { ui, open } = dashboard();

/** What the page's uPlot instance holds. */
function plotted(page) {
  return page.evaluate(() => {
    const u = window.budgetGuardCharts?.daily;
    if (!u) return null;
    return { labels: u.series.map((s) => s.label), shown: u.series.map((s) => s.show), data: u.data.map((d) => Array.from(d)) };
  });
}

describe("daily spend chart", () => {
  for (const days of [30, 90]) {
    it(`${days} days: as many points as usage reports, today's spend, the limit line`, async () => {
      const { page } = await open();
      const dayReports = [];
      page.on("response", (r) => {
        const u = new URL(r.url());
        if (u.pathname === "/admin/v1/tenants/acme/usage" && u.searchParams.get("period") === "day")
          dayReports.push(u.searchParams.get("at"));
      });
      await signIn(page, ui.url, ui.data.acme.adminKey, days === 90 ? "/admin/ui/tenants/acme?days=90" : "/admin/ui/tenants/acme");
      await settled(page);
      const chart = await plotted(page);
      expect(chart).not.toBeNull();
      expect(dayReports).toHaveLength(days);
      expect(chart.labels).toEqual(["Day", "Spend", "Daily limit", "Forecast per day"]);
      const [xs, spend, limit] = chart.data;
      expect(xs).toHaveLength(days);
      expect(spend.filter((v) => v !== null)).toHaveLength(days);
      // The x values are the reported days, oldest first.
      expect(xs.map((x) => new Date(x * 1000).toISOString().slice(0, 10))).toEqual([...dayReports].sort());
      const today = (await admin(ui.url, "/tenants/acme/usage?period=day")).body;
      expect(spend[spend.length - 1]).toBeCloseTo(today.total.spendUsd, 9);
      expect(spend[spend.length - 1]).toBeGreaterThan(0);
      expect(chart.shown[2]).toBe(true);
      expect(new Set(limit)).toEqual(new Set([ui.data.acme.dailyLimit]));
      expect(await page.$eval("[data-test=forecast]", (el) => el.textContent)).toMatch(/forecast: \$/);
    });
  }

  it("the range switch is a link to the other view's URL", async () => {
    const { page } = await open();
    await signIn(page, ui.url, ui.data.acme.adminKey);
    await settled(page);
    await page.click(".segmented a[href$='days=90']");
    await page.waitForFunction(() => window.budgetGuardCharts?.daily?.data[0].length === 90, { timeout: 30_000 });
    expect(new URL(page.url()).search).toBe("?days=90");
    await settled(page);
  });

  it("a gauge for the tenant, each feature and the top users, with reserved and reset in the tenant's zone", async () => {
    const { page } = await open();
    await signIn(page, ui.url, ui.data.acme.adminKey);
    await settled(page);
    const groups = await page.$$eval("[data-test=gauges] .gauge-group", (els) =>
      els.map((g) => ({ scope: g.getAttribute("data-scope"), names: [...g.querySelectorAll("h4")].map((h) => h.textContent) })),
    );
    expect(groups.find((g) => g.scope === "tenant")?.names).toEqual(["Acme Corp"]);
    expect(groups.find((g) => g.scope === "feature")?.names).toEqual(expect.arrayContaining(["support-bot", "search"]));
    expect(groups.find((g) => g.scope === "user")?.names.slice(0, 2)).toEqual(["alice", "carol"]);
    const detail = await page.$eval("[data-test=gauges] .gauge-detail", (el) => el.textContent);
    expect(detail).toMatch(/spent · \$0\.00 reserved · \$[\d.]+ left · resets \w{3} \d+, \d{4}, 00:00 E[SD]T/);
  });
});
