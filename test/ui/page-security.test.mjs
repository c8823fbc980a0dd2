/** The page's headers, and proof that the watch catches what the policy forbids (inline style attributes and scripts). */
import { describe, expect, it } from "vitest";
import { settled, signIn } from "./helpers/browser.mjs";
import { dashboard } from "./helpers/dashboard.mjs";

const { ui, open } = dashboard();

describe("page security", () => {
  it("every dashboard URL has a strict policy, no framing and no sniffing", async () => {
    for (const path of ["/admin/ui", "/admin/ui/", "/admin/ui/tenants/acme/keys"]) {
      const res = await fetch(`${ui.url}${path}`);
      expect(res.status).toBe(200);
      const csp = res.headers.get("content-security-policy") ?? "";
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("style-src 'self'");
      expect(csp).not.toContain("unsafe-inline");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(res.headers.get("x-frame-options")).toBe("DENY");
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      const html = await res.text();
      expect(html).not.toMatch(/<script(?![^>]*\bsrc=)/); // no inline script
      expect(html).not.toMatch(/\sstyle=/);
    }
    const js = await fetch(`${ui.url}/admin/ui/assets/app.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get("content-type")).toContain("javascript");
    expect(js.headers.get("x-content-type-options")).toBe("nosniff");
    const missing = await fetch(`${ui.url}/admin/ui/assets/nope.js`);
    expect(missing.status).toBe(404);
  });

  it("the policy refuses an inline style attribute and an inline script, and the watch reports both", async () => {
    const { page, problems } = await open();
    await signIn(page, ui.url, ui.operatorToken);
    await settled(page);
    await page.evaluate(() => {
      document.body.setAttribute("style", "background: red");
      const s = document.createElement("script");
      s.textContent = "window.__inlineRan = true";
      document.body.appendChild(s);
    });
    await page.waitForFunction(() => true);
    await new Promise((r) => setTimeout(r, 300)); // violation reports arrive through the exposed binding
    expect(await page.evaluate(() => window.__inlineRan ?? false)).toBe(false);
    expect(await page.evaluate(() => getComputedStyle(document.body).backgroundColor)).not.toBe("rgb(255, 0, 0)");
    const seen = problems.splice(0);
    expect(seen.some((p) => p.includes("CSP violation: style-src"))).toBe(true);
    expect(seen.some((p) => p.includes("CSP violation: script-src"))).toBe(true);
  });
});
