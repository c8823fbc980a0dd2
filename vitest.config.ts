import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

/**
 * Every suite runs inside workerd with the worker from wrangler.toml.
 * Bindings below replace `.dev.vars` (absent on a clean clone) so tests are
 * hermetic; the outbound service refuses any request a test did not mock, so
 * nothing here can reach the internet.
 *
 * Three projects, one per edge-allowance mode (DESIGN "Edge allowances"):
 * - `off`: every suite, every request reserved in the tenant object (today's exact assertions);
 * - `allowances`: test/allowances/, in the deployed default `auto` (busy subjects decide at the edge);
 * - `on`: the behaviour suites again with allowances forced on (a subject acquires on its first
 *   request, flushes after every settle), proving both paths give the same answers.
 */
function worker(mode: "off" | "auto" | "on") {
  return cloudflareTest({
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
        GEMINI_API_KEY: "test-gemini-secret",
        // One Azure OpenAI resource with a chat and an embedding deployment (test/azure).
        AZURE_OPENAI: JSON.stringify([
          { resource: "guard-test", keySecret: "AZURE_OPENAI_API_KEY", deployments: { "prod-4o": "gpt-4o", "cheap-4o": "gpt-4o-mini", embed: "text-embedding-3-small" } },
        ]),
        AZURE_OPENAI_API_KEY: "test-azure-secret",
        ALLOWANCES: mode,
      },
      outboundService: (request: Request) =>
        new Response(`unmocked outbound request: ${request.method} ${new URL(request.url).origin}`, { status: 599 }),
    },
  });
}

const timeouts = { testTimeout: 30_000, hookTimeout: 30_000 };

/** Suites outside test/allowances/ that need busy subjects deciding at the edge (the `allowances` project only). */
const EDGE_SUITES = ["test/reallocations/edge-*.test.ts"];

/** The behaviour suites that must pass through both paths. */
export const BOTH_PATHS = [
  "test/hierarchy.test.ts",
  "test/global.test.ts",
  "test/faults/**/*.test.ts",
  "test/idempotency/**/*.test.ts",
  "test/input-validation/**/*.test.ts",
  "test/secrets-and-logs/**/*.test.ts",
  "test/isolation-and-auth/**/*.test.ts",
  "test/commitments/**/*.test.ts",
];

export default defineConfig({
  test: {
    projects: [
      { plugins: [worker("off")], test: { name: "off", include: ["test/**/*.test.ts"], exclude: ["test/allowances/**", ...EDGE_SUITES], ...timeouts } },
      { plugins: [worker("auto")], test: { name: "allowances", include: ["test/allowances/**/*.test.ts", ...EDGE_SUITES], ...timeouts } },
      { plugins: [worker("on")], test: { name: "on", include: BOTH_PATHS, ...timeouts } },
    ],
  },
});
