import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

/**
 * Every suite runs inside workerd with the worker from wrangler.toml.
 * Bindings below replace `.dev.vars` (absent on a clean clone) so tests are
 * hermetic; the outbound service refuses any request a test did not mock, so
 * nothing here can reach the internet.
 */
export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "./wrangler.toml" },
      miniflare: {
        bindings: {
          ENVIRONMENT: "test",
          ADMIN_TOKEN: "test-admin-token",
          MOCK_PROVIDER: "on",
          OPENAI_API_KEY: "sk-test-openai-secret",
          ANTHROPIC_API_KEY: "sk-ant-test-secret",
          // An OpenAI-compatible provider configured by name, addressed as `compat/<model>`.
          PROVIDERS: JSON.stringify([{ name: "compat", baseUrl: "https://compat.example/v1", keySecret: "COMPAT_API_KEY" }]),
          COMPAT_API_KEY: "sk-compat-secret",
        },
        outboundService: (request: Request) =>
          new Response(`unmocked outbound request: ${request.method} ${new URL(request.url).origin}`, { status: 599 }),
      },
    }),
  ],
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
