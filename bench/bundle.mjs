/**
 * The guard's deployable bundle: `wrangler deploy --dry-run --outdir <dir>`
 * (offline), measured raw and gzipped. The same bundle is what the bench runs,
 * so the numbers describe exactly the code under test.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { gzipSync, constants as zc } from "node:zlib";
import { runCommand } from "./procs.mjs";

/**
 * Builds the bundle into `outdir` and measures it.
 * @param {string} root project root (where wrangler.toml is)
 * @param {string} outdir
 */
export async function buildBundle(root, outdir) {
  const require = createRequire(join(root, "package.json"));
  const pkgPath = require.resolve("wrangler/package.json");
  const pkg = JSON.parse(readFileSync(pkgPath, "utf8"));
  const wranglerBin = join(dirname(pkgPath), typeof pkg.bin === "string" ? pkg.bin : pkg.bin.wrangler);
  const t0 = performance.now();
  const { code, stdout, stderr } = await runCommand(process.execPath, [wranglerBin, "deploy", "--dry-run", "--outdir", outdir], {
    cwd: root,
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", WRANGLER_LOG: "log", CI: "1", NO_COLOR: "1", FORCE_COLOR: "0" },
    timeoutMs: 120_000,
  });
  const buildMs = performance.now() - t0;
  if (code !== 0) throw new Error(`wrangler deploy --dry-run failed (${code}):\n${stdout}\n${stderr}`);
  const files = readdirSync(outdir)
    .filter((f) => /\.(m?js|wasm)$/.test(f))
    .map((f) => {
      const buf = readFileSync(join(outdir, f));
      return {
        file: f,
        rawBytes: statSync(join(outdir, f)).size,
        gzipBytes: gzipSync(buf).length,
        gzip9Bytes: gzipSync(buf, { level: zc.Z_BEST_COMPRESSION }).length,
      };
    });
  const entry = files.find((f) => f.file === "index.js") ?? files.find((f) => f.file.endsWith(".js"));
  if (!entry) throw new Error(`wrangler --dry-run wrote no .js file into ${outdir}`);
  const m = /Total Upload:\s*([\d.]+)\s*KiB\s*\/\s*gzip:\s*([\d.]+)\s*KiB/.exec(stdout + stderr);
  return {
    command: "wrangler deploy --dry-run --outdir <tmp>",
    buildMs,
    entryPath: join(outdir, entry.file),
    files,
    rawBytes: files.reduce((s, f) => s + f.rawBytes, 0),
    gzipBytes: files.reduce((s, f) => s + f.gzipBytes, 0),
    gzip9Bytes: files.reduce((s, f) => s + f.gzip9Bytes, 0),
    wranglerReported: m ? { totalKiB: Number(m[1]), gzipKiB: Number(m[2]) } : null,
  };
}
