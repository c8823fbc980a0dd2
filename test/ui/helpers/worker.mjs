/**
 * Starts the guard for the browser tests exactly as `npm start` does —
 * `wrangler dev`, which also builds the dashboard ([build] in wrangler.toml)
 * and serves its static assets — on a free port with a throwaway state
 * directory, the mock provider and a test operator token.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import net from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
export const OPERATOR_TOKEN = "ui-test-operator-token";

/** Whether a TCP port on 127.0.0.1 is free now. */
function portFree(port) {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once("error", () => resolve(false));
    srv.listen(port, "127.0.0.1", () => srv.close(() => resolve(true)));
  });
}

/** A free port: UI_TEST_PORT, else the first free one of 8791–8799 (kept clear of npm start's 8787), else any. */
export async function freePort(preferred = [8791, 8792, 8793, 8794, 8795, 8796, 8797, 8798, 8799]) {
  if (process.env.UI_TEST_PORT) return Number(process.env.UI_TEST_PORT);
  for (const p of preferred) if (await portFree(p)) return p;
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = /** @type {net.AddressInfo} */ (srv.address());
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Starts `wrangler dev`; resolves once /health answers.
 * @returns {Promise<{ url: string, stop: () => Promise<void>, log: () => string }>}
 */
export async function startWorker() {
  const port = await freePort();
  const inspector = await freePort([]);
  const dir = mkdtempSync(join(tmpdir(), "budget-guard-ui-"));
  const logFile = join(dir, "wrangler.log");
  const out = openSync(logFile, "a");
  const require = createRequire(import.meta.url);
  const pkgPath = require.resolve("wrangler/package.json");
  const pkg = JSON.parse(readFileSync(pkgPath, "utf8"));
  const bin = join(dirname(pkgPath), typeof pkg.bin === "string" ? pkg.bin : pkg.bin.wrangler);
  const vars = { ENVIRONMENT: "development", MOCK_PROVIDER: "on", ADMIN_TOKEN: OPERATOR_TOKEN, ALLOWANCES: "off" };
  const args = [
    bin,
    "dev",
    "--ip",
    "127.0.0.1",
    "--port",
    String(port),
    "--inspector-port",
    String(inspector),
    "--persist-to",
    join(dir, "state"),
  ];
  for (const [k, v] of Object.entries(vars)) args.push("--var", `${k}:${v}`);
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", NO_COLOR: "1", FORCE_COLOR: "0" },
    stdio: ["ignore", out, out],
    detached: true, // its own process group, so stopping it stops workerd too
  });
  let exited = null;
  child.once("exit", (code, signal) => (exited = { code, signal }));
  const url = `http://127.0.0.1:${port}`;
  const log = () => readFileSync(logFile, "utf8");
  const stop = async () => {
    if (exited === null && child.pid) {
      try {
        process.kill(-child.pid, "SIGTERM");
      } catch {
        /* already gone */
      }
      const deadline = Date.now() + 5000;
      while (exited === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      try {
        if (exited === null) process.kill(-child.pid, "SIGKILL");
      } catch {
        /* already gone */
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (exited !== null) {
      const text = log();
      await stop();
      throw new Error(`wrangler dev exited (${JSON.stringify(exited)}) before serving:\n${text}`);
    }
    try {
      const res = await fetch(`${url}/health`);
      if (res.ok) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) {
      const text = log();
      await stop();
      throw new Error(`wrangler dev did not answer /health within 120 s:\n${text}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return { url, stop, log };
}
