/**
 * Headless Chromium for the dashboard tests: one browser for the run (started
 * by the global setup), a fresh incognito context per test (its own
 * sessionStorage), and a watch on everything that would mean the page is
 * broken — a console error, an uncaught exception, a CSP violation, a failed
 * request or an HTTP error the test did not expect — which fails the test.
 */
import puppeteer from "puppeteer-core";
import { existsSync } from "node:fs";

/** Where Chromium is: CHROMIUM_PATH, else the Debian package's binary. */
export function chromiumPath() {
  const candidates = [process.env.CHROMIUM_PATH, "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].filter(
    Boolean,
  );
  const found = candidates.find((p) => existsSync(/** @type {string} */ (p)));
  if (!found)
    throw new Error(`No Chromium found (tried ${candidates.join(", ")}); install it (apt-get install -y chromium) or set CHROMIUM_PATH.`);
  return /** @type {string} */ (found);
}

/** Launches the browser the tests connect to. */
export function launchBrowser() {
  return puppeteer.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--no-first-run", "--lang=en-US"],
  });
}

/** Connects to the run's browser. */
export function connectBrowser(wsEndpoint) {
  return puppeteer.connect({ browserWSEndpoint: wsEndpoint, defaultViewport: null });
}

export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844, deviceScaleFactor: 2, isMobile: true, hasTouch: true };

/**
 * A page in a fresh context, watched. `allow(status, url)` marks HTTP errors the test expects.
 * @param {import("puppeteer-core").Browser} browser
 * @param {{ viewport?: import("puppeteer-core").Viewport, allow?: (status: number, url: string) => boolean }} [opts]
 */
export async function openPage(browser, opts = {}) {
  const context = await browser.createBrowserContext();
  const page = await context.newPage();
  await page.setViewport(opts.viewport ?? DESKTOP);
  /** @type {string[]} */
  const problems = [];
  const allowed = { fn: opts.allow ?? (() => false) };
  page.on("console", (m) => {
    // Chrome logs every HTTP error response as a console error; the response handler below judges those.
    if (/^Failed to load resource: the server responded with a status of \d+/.test(m.text())) return;
    if (m.type() === "error" || m.type() === "assert") problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`uncaught: ${e instanceof Error ? e.message : String(e)}`));
  page.on("dialog", (d) => {
    problems.push(`dialog opened: ${d.type()} ${d.message()}`);
    void d.dismiss();
  });
  page.on("requestfailed", (r) => {
    if (r.url().startsWith("blob:")) return; // a CSV download handed to the browser
    problems.push(`request failed: ${r.method()} ${r.url()} (${r.failure()?.errorText ?? "?"})`);
  });
  page.on("response", (r) => {
    if (r.status() >= 400 && !allowed.fn(r.status(), r.url())) problems.push(`HTTP ${r.status()}: ${r.request().method()} ${r.url()}`);
  });
  await page.exposeFunction("__reportCspViolation", (/** @type {string} */ v) => problems.push(`CSP violation: ${v}`));
  await page.evaluateOnNewDocument(() => {
    document.addEventListener("securitypolicyviolation", (e) => {
      // @ts-ignore the binding exposed above
      window.__reportCspViolation(`${e.violatedDirective} blocked ${e.blockedURI || "inline"} (${e.sourceFile}:${e.lineNumber})`);
    });
  });
  // Chrome's own log (e.g. a CSP refusal reported before any listener runs); network errors are judged above.
  const cdp = await page.createCDPSession();
  await cdp.send("Log.enable");
  cdp.on("Log.entryAdded", ({ entry }) => {
    if (entry.level === "error" && entry.source !== "network") problems.push(`log ${entry.source}: ${entry.text}`);
  });
  return {
    page,
    problems,
    /** Changes which HTTP errors are expected from now on. */
    allow(fn) {
      allowed.fn = fn;
    },
    close: () => context.close(),
  };
}

/**
 * Signs in through the form and waits for the signed-in header.
 * @param {import("puppeteer-core").Page} page
 */
export async function signIn(page, url, token, path = "/admin/ui") {
  await page.goto(`${url}${path}`, { waitUntil: "domcontentloaded" });
  await page.waitForSelector("#token");
  await page.type("#token", token);
  await Promise.all([page.waitForSelector("[data-test=who]"), page.click("form[data-test=sign-in] button[type=submit]")]);
}

/** Waits until no element matches `.state-loading` (every panel has drawn). */
export async function settled(page, timeout = 30_000) {
  await page.waitForFunction(() => document.querySelector("#main") && !document.querySelector(".state-loading"), { timeout });
}

/** The visible text of the first match. */
export async function textOf(page, selector) {
  await page.waitForSelector(selector);
  return page.$eval(selector, (el) => /** @type {HTMLElement} */ (el).innerText);
}
