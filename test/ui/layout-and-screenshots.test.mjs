/**
 * The dashboard at 1280×800 and at a 390 px phone width: nothing wider than
 * the screen (tables scroll inside their cards), the chart as wide as its
 * card. With SCREENSHOTS=1 (npm run screenshots) the pages are saved into
 * docs/ for the README.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DESKTOP, PHONE, settled, signIn } from "./helpers/browser.mjs";
import { dashboard } from "./helpers/dashboard.mjs";
import { ROOT } from "./helpers/worker.mjs";

const { ui, open } = dashboard();
const SAVE = process.env.SCREENSHOTS === "1";
const DOCS = join(ROOT, "docs");

/** Page width against the viewport: nothing may stick out sideways. */
async function overflow(page) {
  return page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, viewport: window.innerWidth }));
}

async function shoot(page, name, fullPage = false) {
  if (!SAVE) return;
  mkdirSync(DOCS, { recursive: true });
  await page.screenshot({ path: join(DOCS, `${name}.png`), fullPage });
}

describe("layout", () => {
  for (const [label, viewport] of [
    ["desktop", DESKTOP],
    ["phone", PHONE],
  ]) {
    it(`${label}: the operator home and a tenant's overview fit the screen`, async () => {
      const { page } = await open({ viewport });
      await signIn(page, ui.url, ui.operatorToken);
      await settled(page);
      expect(await overflow(page)).toEqual({ scroll: viewport.width, viewport: viewport.width });
      await shoot(page, `dashboard-home-${label}`);

      await page.goto(`${ui.url}/admin/ui/tenants/acme`);
      await settled(page);
      await page.waitForSelector("[data-test=daily-chart] canvas");
      expect(await overflow(page)).toEqual({ scroll: viewport.width, viewport: viewport.width });
      const widths = await page.evaluate(() => ({
        chart: window.budgetGuardCharts?.daily?.width ?? 0,
        box: document.querySelector("[data-test=daily-chart]")?.clientWidth ?? 0,
      }));
      expect(Math.abs(widths.chart - widths.box)).toBeLessThanOrEqual(4);
      await shoot(page, `dashboard-tenant-${label}`);

      await page.goto(`${ui.url}/admin/ui/tenants/acme/usage`);
      await settled(page);
      expect(await overflow(page)).toEqual({ scroll: viewport.width, viewport: viewport.width });
      if (label === "desktop") await shoot(page, "dashboard-usage-desktop");
    });
  }
});
