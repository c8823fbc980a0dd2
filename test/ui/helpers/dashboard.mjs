/**
 * Per-file wiring of the browser tests: connects to the run's Chromium,
 * opens watched pages, and after each test fails it if any page saw a
 * console error, a CSP violation, a failed request or an unexpected HTTP
 * error (see helpers/browser.mjs), then closes them.
 */
import { afterAll, afterEach, beforeAll, expect, inject } from "vitest";
import { connectBrowser, openPage } from "./browser.mjs";

/** Registers the hooks; returns the run's guard and a page opener. */
export function dashboard() {
  const ui = inject("ui");
  /** @type {import("puppeteer-core").Browser} */
  let browser;
  /** @type {Awaited<ReturnType<typeof openPage>>[]} */
  const open = [];
  beforeAll(async () => {
    browser = await connectBrowser(ui.wsEndpoint);
  });
  afterEach(async () => {
    const pages = open.splice(0);
    try {
      for (const p of pages) expect(p.problems, "console errors, CSP violations, failed requests or unexpected HTTP errors").toEqual([]);
    } finally {
      for (const p of pages) await p.close();
    }
  });
  afterAll(async () => {
    await browser?.disconnect();
  });
  return {
    ui,
    /** @param {Parameters<typeof openPage>[1]} [opts] */
    async open(opts) {
      const p = await openPage(browser, opts);
      open.push(p);
      return p;
    },
  };
}
