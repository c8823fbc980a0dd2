/**
 * Global setup of `npm run test:ui`: one guard (wrangler dev, see
 * helpers/worker.mjs), seeded once, and one Chromium, shared by every test
 * file through `inject`; both stopped at the end.
 */
import { launchBrowser } from "../helpers/browser.mjs";
import { seed } from "../helpers/seed.mjs";
import { OPERATOR_TOKEN, startWorker } from "../helpers/worker.mjs";

/** @param {import("vitest/node").TestProject} project */
export default async function setup(project) {
  const worker = await startWorker();
  let browser;
  try {
    const data = await seed(worker.url);
    browser = await launchBrowser();
    project.provide("ui", { url: worker.url, operatorToken: OPERATOR_TOKEN, wsEndpoint: browser.wsEndpoint(), data });
  } catch (err) {
    await browser?.close();
    await worker.stop();
    throw err;
  }
  return async () => {
    await browser?.close();
    await worker.stop();
  };
}
