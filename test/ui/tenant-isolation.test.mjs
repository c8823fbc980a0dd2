/** A tenant admin sees its own tenant only; another tenant's views say so in words and show none of its data. */
import { describe, expect, it } from "vitest";
import { settled, signIn, textOf } from "./helpers/browser.mjs";
import { dashboard } from "./helpers/dashboard.mjs";

const { ui, open } = dashboard();

describe("tenant isolation", () => {
  for (const path of ["/admin/ui/tenants/globex", "/admin/ui/tenants/globex/keys", "/admin/ui/tenants/globex/usage"]) {
    it(`a tenant admin of acme at ${path} is told it may not, and sees nothing of globex`, async () => {
      const { page, allow } = await open();
      allow((status, url) => status === 403 && new URL(url).pathname.startsWith("/admin/v1/tenants/globex"));
      await signIn(page, ui.url, ui.data.acme.adminKey, path);
      await page.waitForSelector("#main .state-error");
      expect(await textOf(page, "#main .state-error")).toBe("Not allowed: This key may only manage its own tenant.");
      const text = await page.$eval("#main", (m) => m.textContent);
      expect(text).not.toContain("Globex, Inc.");
      expect(text).toContain("Go to your tenant, acme");
    });
  }

  it("the operator's start page sends a tenant admin to its own tenant", async () => {
    const { page } = await open();
    await signIn(page, ui.url, ui.data.acme.adminKey);
    await settled(page);
    expect(new URL(page.url()).pathname).toBe("/admin/ui/tenants/acme");
    expect(await page.$("[data-test=tenants]")).toBeNull();
  });
});
