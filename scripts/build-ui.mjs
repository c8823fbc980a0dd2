// Builds the dashboard (GET /admin/ui) into the static assets wrangler serves (wrangler.toml [assets]):
// ui/src/main.ts bundled by esbuild (with uPlot, and the stylesheet it imports) into
// ui/dist/admin/ui/assets/app.js and app.css, and the files of ui/static copied into ui/dist.
// wrangler runs this before `wrangler dev` and `wrangler deploy` ([build] in wrangler.toml), so
// `npm start` and a deploy never serve a stale bundle; `npm run test:ui` runs it through wrangler dev.
import { cpSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const dist = join(root, "ui", "dist");
const assets = join(dist, "admin", "ui", "assets");

// Written in place, never emptied first: a running `wrangler dev` reloads on every change under src/
// and fails if the assets directory is missing even for a moment.
mkdirSync(assets, { recursive: true });
await build({
  entryPoints: { app: join(root, "ui", "src", "main.ts") },
  outdir: assets,
  bundle: true,
  format: "esm",
  target: "es2022",
  minify: true,
  sourcemap: "linked",
  logLevel: "warning",
});
cpSync(join(root, "ui", "static"), dist, { recursive: true });
if (!process.argv.includes("--quiet")) console.log(`budget-guard: dashboard built into ${dist}`);
