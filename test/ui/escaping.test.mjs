/** Every value from the API is text: a tenant and a key named `<img src=x onerror=alert(1)>` render as those characters. */
import { describe, expect, it } from "vitest";
import { settled, signIn, textOf } from "./helpers/browser.mjs";
import { dashboard } from "./helpers/dashboard.mjs";
import { XSS_NAME } from "./helpers/seed.mjs";

const { ui, open } = dashboard();

describe("escaping", () => {
  it("the tenant's name is text on the start page, its header and its keys", async () => {
    const { page } = await open();
    await signIn(page, ui.url, ui.operatorToken);
    await settled(page);
    const names = await page.$$eval("[data-test=tenants] a", (as) => as.map((a) => a.textContent));
    expect(names).toContain(XSS_NAME);
    expect(await page.$$("main img")).toHaveLength(0);

    await page.goto(`${ui.url}/admin/ui/tenants/xss`);
    await settled(page);
    expect(await textOf(page, "[data-test=tenant-name]")).toBe(XSS_NAME);
    await page.goto(`${ui.url}/admin/ui/tenants/xss/keys`);
    await settled(page);
    expect(await page.$eval("table.keys tbody td", (td) => td.textContent)).toBe(XSS_NAME);
    expect(await page.$$("img")).toHaveLength(0);
    // An onerror handler would have opened a dialog; the page watch fails the test on any.
  });
});
