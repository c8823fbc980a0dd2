/** Signing in and out: operator, tenant admin, a wrong token, a token that stops working. */
import { describe, expect, it } from "vitest";
import { settled, signIn, textOf } from "./helpers/browser.mjs";
import { dashboard } from "./helpers/dashboard.mjs";
import { admin } from "./helpers/seed.mjs";

const { ui, open } = dashboard();
const is401 = (status) => status === 401;

describe("sign-in", () => {
  it("a wrong token shows 'not signed in' with the API's reason, never a blank page", async () => {
    const { page, allow } = await open();
    allow(is401);
    await page.goto(`${ui.url}/admin/ui`);
    await page.waitForSelector("#token");
    await page.type("#token", "not-the-token");
    await page.click("form[data-test=sign-in] button[type=submit]");
    await page.waitForSelector(".signin .state-error");
    const text = await textOf(page, ".signin .state-error");
    expect(text).toMatch(/^Not signed in: Invalid or missing admin credentials/);
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    // A guard key of the right shape but unknown: the same answer.
    await page.$eval("#token", (el) => /** @type {HTMLInputElement} */ ((el).value = ""));
    await page.type("#token", "bg_acme_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    await page.click("form[data-test=sign-in] button[type=submit]");
    await page.waitForFunction(() => document.querySelector(".signin .state-error")?.textContent?.includes("Not signed in"));
  });

  it("the operator sees every tenant, the global budget and signs out", async () => {
    const { page } = await open();
    await signIn(page, ui.url, ui.operatorToken);
    expect(await textOf(page, "[data-test=who]")).toBe("Operator");
    await settled(page);
    const tenants = await textOf(page, "[data-test=tenants]");
    expect(tenants).toContain("Acme Corp");
    expect(tenants).toContain("Globex, Inc.");
    expect(await page.$eval("main", (m) => m.textContent)).toContain("Global budget");
    // The token is in sessionStorage, not in a cookie.
    expect(await page.evaluate(() => sessionStorage.getItem("budget-guard.session"))).toContain(ui.operatorToken);
    expect(await page.cookies()).toEqual([]);
    await page.click("[data-test=sign-out]");
    await page.waitForSelector("#token");
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
  });

  it("a tenant admin lands on its own tenant", async () => {
    const { page } = await open();
    await signIn(page, ui.url, ui.data.acme.adminKey);
    await page.waitForSelector("[data-test=tenant-name]");
    expect(await textOf(page, "[data-test=who]")).toBe("Tenant admin · acme");
    expect(new URL(page.url()).pathname).toBe("/admin/ui/tenants/acme");
    expect(await textOf(page, "[data-test=tenant-name]")).toBe("Acme Corp");
    await settled(page);
  });

  it("a session whose key is revoked returns to sign-in, saying why", async () => {
    const key = (await admin(ui.url, "/tenants/acme/keys", { method: "POST", body: { name: "short-lived ops", role: "admin" } })).body;
    const { page, allow } = await open();
    await signIn(page, ui.url, key.key);
    await settled(page);
    await admin(ui.url, `/tenants/acme/keys/${key.id}`, { method: "DELETE" });
    allow(is401);
    await page.click("nav.tabs a[href$='/keys']");
    await page.waitForSelector(".signin .state-error");
    expect(await textOf(page, ".signin .state-error")).toMatch(/^Not signed in: the token stopped working/);
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
  });
});
