/**
 * Burst pools and reallocation requests: the operator approves what a tenant
 * admin asked for; a tenant admin has no approve button for its own burst.
 * On a guard without those routes (answered here by request interception)
 * the panels say "not available".
 */
import { describe, expect, it } from "vitest";
import { settled, signIn, textOf } from "./helpers/browser.mjs";
import { dashboard } from "./helpers/dashboard.mjs";

const { ui, open } = dashboard();
const { bursts, reallocations } = ui.data.features;

/** Answers the given routes as a guard without them would: 404 `unknown_route`. */
async function withoutRoutes(page, fragment) {
  await page.setRequestInterception(true);
  page.on("request", (r) => {
    const u = new URL(r.url());
    if (!u.pathname.startsWith("/admin/v1/") || !u.pathname.includes(fragment)) return void r.continue();
    void r.respond({
      status: 404,
      contentType: "application/json",
      body: JSON.stringify({ error: { message: `Unknown route ${r.method()} ${u.pathname}.`, code: "unknown_route" } }),
    });
  });
}

describe("bursts", () => {
  it.runIf(bursts)("the operator approves a pending burst pool", async () => {
    const { page } = await open();
    await signIn(page, ui.url, ui.operatorToken, "/admin/ui/tenants/acme/bursts");
    await settled(page);
    const list = await textOf(page, "[data-test=bursts]");
    expect(list).toContain("feature:support-bot");
    expect(list).toContain("launch week");
    expect(list).toContain("pending");
    await page.click("[data-test=burst-approve]");
    await page.waitForFunction(() => {
      const row = document.querySelector("table.bursts tbody tr");
      return row?.textContent?.includes("active") && !row.querySelector("[data-test=burst-approve]");
    });
  });

  it.runIf(bursts)("a tenant admin may ask but not approve", async () => {
    const { page } = await open();
    await signIn(page, ui.url, ui.data.acme.adminKey, "/admin/ui/tenants/acme/bursts");
    await settled(page);
    expect(await page.$("[data-test=burst-approve]")).toBeNull();
    expect(await page.$eval("main", (m) => m.textContent)).toContain("Ask for a burst pool");
  });

  it("on a guard without the routes the panel says bursts are not available", async () => {
    const { page, allow } = await open();
    allow((status, url) => status === 404 && url.includes("/bursts"));
    await withoutRoutes(page, "/bursts");
    await signIn(page, ui.url, ui.operatorToken, "/admin/ui/tenants/acme/bursts");
    await settled(page);
    expect(await textOf(page, "[data-test=bursts]")).toContain("not available");
  });
});

describe("reallocations", () => {
  it.runIf(reallocations)("the operator approves a tenant admin's request and sees both limits move", async () => {
    const { page } = await open();
    await signIn(page, ui.url, ui.operatorToken, "/admin/ui/tenants/acme/reallocations");
    await settled(page);
    const list = await textOf(page, "[data-test=reallocations]");
    expect(list).toContain("feature:search");
    expect(list).toContain("support volume doubled");
    await page.type("table.reallocations .inline-input", "agreed in the review");
    await page.click("[data-test=reallocation-approve]");
    await page.waitForFunction(() => document.querySelector("table.reallocations tbody tr")?.textContent?.includes("applied"));
    const row = await textOf(page, "table.reallocations tbody tr");
    expect(row).toContain("agreed in the review");
    expect(row).toMatch(/feature:search \$0\.10 → \$0\.09/);
  });

  it("on a guard without the routes the panel says reallocations are not available", async () => {
    const { page, allow } = await open();
    allow((status, url) => status === 404 && url.includes("/reallocations"));
    await withoutRoutes(page, "/reallocations");
    await signIn(page, ui.url, ui.operatorToken, "/admin/ui/tenants/acme/reallocations");
    await settled(page);
    expect(await textOf(page, "[data-test=reallocations]")).toContain("not available");
  });
});
