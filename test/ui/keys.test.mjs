/** Keys: issue one (shown once, copyable, works at once), revoke it (refused at once). */
import { describe, expect, it } from "vitest";
import { settled, signIn, textOf } from "./helpers/browser.mjs";
import { dashboard } from "./helpers/dashboard.mjs";

const { ui, open } = dashboard();

async function chat(key) {
  const res = await fetch(`${ui.url}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify({ model: "mock-small", max_tokens: 20, messages: [{ role: "user", content: "hi" }] }),
  });
  await res.text();
  return res.status;
}

describe("keys", () => {
  it("a tenant admin issues a user key, copies it, and revokes it", async () => {
    const { page } = await open();
    await page.browserContext().overridePermissions(ui.url, ["clipboard-read", "clipboard-write", "clipboard-sanitized-write"]);
    await signIn(page, ui.url, ui.data.acme.adminKey, "/admin/ui/tenants/acme/keys");
    await settled(page);
    await page.type("#key-name", "erin's laptop");
    await page.select("#key-role", "user");
    await page.type("#key-user", "erin");
    await page.click("form[data-test=create-key] button[type=submit]");
    await page.waitForSelector("[data-test=new-key]");
    const key = await page.$eval("[data-test=new-key]", (el) => /** @type {HTMLInputElement} */ (el).value);
    expect(key).toMatch(/^bg_acme_[A-Za-z0-9]{32}$/);
    expect(await textOf(page, "[data-test=key-shown-once]")).toContain("shown only this once");
    await page.click("[data-test=copy-key]");
    await page.waitForFunction(() => /Copied|Selected/.test(document.querySelector("[data-test=key-shown-once]")?.textContent ?? ""));
    const copied = await page.evaluate(() => navigator.clipboard.readText().catch(() => null));
    if (copied !== null) expect(copied).toBe(key);
    expect(await chat(key)).toBe(200);

    // The list shows the new key (never its secret) with a revoke button.
    await page.waitForFunction(() =>
      [...document.querySelectorAll("table.keys tbody tr")].some((tr) => tr.textContent?.includes("erin's laptop")),
    );
    const row = await page.evaluateHandle(() =>
      [...document.querySelectorAll("table.keys tbody tr")].find((tr) => tr.textContent?.includes("erin's laptop")),
    );
    expect(await row.evaluate((tr) => tr.textContent)).not.toContain(key);
    await (await row.$("[data-test=revoke]")).click();
    await (await row.$("[data-test=confirm-revoke]")).click();
    await page.waitForFunction(() =>
      [...document.querySelectorAll("table.keys tbody tr")].some(
        (tr) => tr.textContent?.includes("erin's laptop") && tr.textContent.includes("revoked"),
      ),
    );
    expect(await chat(key)).toBe(401);
  });
});
