/**
 * What the bench ran on and with: machine description and versions. Git
 * information is read from files under .git (no git command is run).
 */
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import { dirname, join } from "node:path";

/** @param {string} p */
function readJson(p) {
  try {
    return JSON.parse(readFileSync(p, "utf8"));
  } catch {
    return null;
  }
}

/** @param {string} p */
function readText(p) {
  try {
    return readFileSync(p, "utf8");
  } catch {
    return null;
  }
}

/** Machine description. */
export function machine() {
  const cpus = os.cpus();
  const cpuinfo = readText("/proc/cpuinfo") ?? "";
  const model = /model name\s*:\s*(.+)/.exec(cpuinfo)?.[1]?.trim() ?? cpus[0]?.model ?? "unknown";
  const loadavg = os.loadavg();
  return {
    os: `${os.type()} ${os.release()} (${os.platform()}/${os.arch()})`,
    distro: /PRETTY_NAME="?([^"\n]+)"?/.exec(readText("/etc/os-release") ?? "")?.[1] ?? null,
    cpuModel: model,
    cores: cpus.length,
    availableParallelism: os.availableParallelism?.() ?? cpus.length,
    memoryMiB: Math.round(os.totalmem() / 1048576),
    freeMemoryMiB: Math.round(os.freemem() / 1048576),
    loadavgAtStart: loadavg.map((x) => Math.round(x * 100) / 100),
    node: process.version,
    hostname: os.hostname(),
  };
}

/**
 * Git commit of the working tree, from .git/HEAD and refs (no git command).
 * @param {string} root
 */
export function gitInfo(root) {
  let gitDir = join(root, ".git");
  const asFile = readText(gitDir);
  if (asFile && asFile.startsWith("gitdir:")) gitDir = join(root, asFile.slice(7).trim());
  const head = readText(join(gitDir, "HEAD"))?.trim();
  if (!head) return { commit: null, branch: null };
  if (!head.startsWith("ref:")) return { commit: head, branch: null };
  const ref = head.slice(4).trim();
  let commit = readText(join(gitDir, ref))?.trim() ?? null;
  if (!commit) {
    const packed = readText(join(gitDir, "packed-refs")) ?? "";
    commit = packed.split("\n").find((l) => l.endsWith(` ${ref}`))?.split(" ")[0] ?? null;
  }
  return { commit, branch: ref.replace(/^refs\/heads\//, "") };
}

/**
 * Versions of everything involved.
 * @param {string} root
 */
export function versions(root) {
  const require = createRequire(join(root, "package.json"));
  const pkgVersion = (/** @type {string} */ name) => {
    try {
      return readJson(require.resolve(`${name}/package.json`))?.version ?? null;
    } catch {
      // Packages whose "exports" hide package.json: read it from node_modules directly.
      return readJson(join(root, "node_modules", name, "package.json"))?.version ?? null;
    }
  };
  let workerd = null;
  try {
    const mfDir = dirname(require.resolve("miniflare/package.json"));
    const mfRequire = createRequire(join(mfDir, "package.json"));
    workerd = readJson(mfRequire.resolve("workerd/package.json"))?.version ?? null;
  } catch {
    /* unknown */
  }
  const project = readJson(join(root, "package.json"));
  return {
    guard: project?.version ?? null,
    guardName: project?.name ?? null,
    wrangler: pkgVersion("wrangler"),
    miniflare: pkgVersion("miniflare"),
    workerd,
    portkeyGateway: pkgVersion("@portkey-ai/gateway"),
    autocannon: pkgVersion("autocannon"),
    hono: pkgVersion("hono"),
    jsTiktoken: pkgVersion("js-tiktoken"),
    node: process.version,
    git: existsSync(join(root, ".git")) ? gitInfo(root) : { commit: null, branch: null },
  };
}
