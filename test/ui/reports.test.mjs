/** Top spenders with the chargeback CSV, alerts with their deliveries, the review and the audit log. */
import { describe, expect, it } from "vitest";
import { settled, signIn, textOf } from "./helpers/browser.mjs";
import { dashboard } from "./helpers/dashboard.mjs";

const { ui, open } = dashboard();

describe("reports", () => {
  it("top users, features and models of the month, and the CSV export", async () => {
    const { page } = await open();
    await signIn(page, ui.url, ui.data.acme.adminKey, "/admin/ui/tenants/acme/usage");
    await settled(page);
    const first = (group) => page.$eval(`[data-group=${group}] tbody tr td`, (td) => td.textContent);
    expect(await first("user")).toBe("alice");
    expect(await first("feature")).toBe("support-bot");
    expect(await first("model")).toBe("mock-large");
    const csv = page.waitForResponse((r) => r.url().includes("/usage?") && r.request().headers().accept === "text/csv");
    await page.click("[data-test=csv-feature]");
    const res = await csv;
    expect(res.status()).toBe(200);
    expect(res.headers()["content-type"]).toContain("text/csv");
    const body = await res.text();
    expect(body.split("\r\n")[0]).toMatch(
      /^tenant,tenant_name,period,at,group_by,group,spend_usd,limit_usd,remaining_usd,utilization,requests\b/,
    );
    expect(body).toContain("acme,Acme Corp,month,");
    await page.waitForFunction(() => document.querySelector("[data-group=feature] .csv")?.textContent?.includes("Downloaded."));
  });

  it("alerts show their delivery state and the last error", async () => {
    const { page } = await open();
    await signIn(page, ui.url, ui.data.acme.adminKey, "/admin/ui/tenants/acme/alerts");
    await settled(page);
    const text = await textOf(page, "table.alerts");
    expect(text).toContain("Soft limit 80%");
    expect(text).toContain("user:dana");
    expect(text).toMatch(/tenant: \w+ after \d+ attempt/);
  });

  it("the review per feature and the audit log", async () => {
    const { page } = await open();
    await signIn(page, ui.url, ui.data.acme.adminKey, "/admin/ui/tenants/acme/review");
    await settled(page);
    const review = await textOf(page, "main table");
    expect(review).toContain("support-bot");
    expect(review).toContain("search");
    await page.click("nav.tabs a[href$='/audit']");
    await page.waitForSelector("table.audit");
    await settled(page);
    const audit = await textOf(page, "table.audit");
    expect(audit).toContain("operator");
    expect(audit).toMatch(/key\.create|create_key|key/);
  });
});
