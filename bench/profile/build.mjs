/**
 * Bundles the guard modules the profile times (`entry.mjs`) with esbuild, the
 * bundler wrangler itself ships, into one ESM file Node can import. The only
 * Workers-only import on the way (`cloudflare:workers`, for the Durable Object
 * base class the app's types reach) is aliased to a stub: nothing profiled runs it.
 */
import { createRequire } from "node:module";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const STUB = `export class DurableObject { constructor(ctx, env) { this.ctx = ctx; this.env = env; } }
export class WorkerEntrypoint {}
export const env = {};`;

/**
 * Builds and imports the bundle.
 * @param {string} root project root
 * @returns {Promise<{ mod: Record<string, any>, cleanup: () => void }>}
 */
export async function loadGuardModules(root) {
  const require = createRequire(join(root, "package.json"));
  const esbuild = require("esbuild");
  const dir = mkdtempSync(join(tmpdir(), "bg-profile-"));
  const stub = join(dir, "cloudflare-stub.mjs");
  writeFileSync(stub, STUB);
  const outfile = join(dir, "guard.mjs");
  await esbuild.build({
    entryPoints: [join(root, "bench/profile/entry.mjs")],
    bundle: true,
    format: "esm",
    platform: "neutral",
    mainFields: ["module", "main"],
    conditions: ["worker", "import"],
    target: "es2023",
    outfile,
    logLevel: "error",
    plugins: [
      {
        name: "cloudflare-stub",
        setup(b) {
          b.onResolve({ filter: /^cloudflare:/ }, () => ({ path: stub }));
        },
      },
    ],
  });
  const mod = await import(pathToFileURL(outfile).href);
  return { mod, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
