import { defineConfig } from "vitest/config";

/**
 * The dashboard's browser tests (`npm run test:ui`): Node, not workerd. The
 * global setup starts the guard with `wrangler dev` on a free port and one
 * headless Chromium; the files run one after another against them.
 */
export default defineConfig({
  test: {
    name: "ui",
    include: ["test/ui/**/*.test.mjs"],
    globalSetup: ["test/ui/setup/global.mjs"],
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Starting wrangler dev and seeding through the mock provider takes a while on a busy machine.
    teardownTimeout: 20_000,
  },
});
