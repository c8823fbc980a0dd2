/**
 * The mock upstream: a plain Node HTTP server on 127.0.0.1 answering
 * `POST /v1/chat/completions` with an OpenAI-shaped `chat.completion`
 * (including `usage`), with zero added latency. It reads every request body
 * to the end (100k-token prompts are ~400 KB) and estimates prompt tokens
 * cheaply as bytes / 4, without parsing the JSON.
 *
 * It runs in its own child process so that its CPU time is attributable
 * (`startUpstream()` forks this file; run directly it serves and reports its
 * port over IPC). `GET /__stats` returns counters, used to prove that a
 * target really reached it.
 */
import { fork } from "node:child_process";
import http from "node:http";
import { fileURLToPath } from "node:url";
import { onCleanup, own, stopChild } from "./procs.mjs";

/** Completion tokens reported for every answer. */
export const COMPLETION_TOKENS = 16;
const ANSWER = "This is a benchmark answer from the mock upstream, sixteen tokens long.";

/**
 * Creates (but does not start) the mock upstream server.
 * @returns {{ server: http.Server, stats: { requests: number, bytes: number, lastPath: string, lastAuthorization: boolean, lastBodyBytes: number, lastModel: string, byPath: Record<string, number> } }}
 */
export function createUpstreamServer() {
  const stats = { requests: 0, bytes: 0, lastPath: "", lastAuthorization: false, lastBodyBytes: 0, lastModel: "", byPath: /** @type {Record<string, number>} */ ({}) };
  let seq = 0;
  const server = http.createServer((req, res) => {
    if (req.method === "GET" && req.url === "/__stats") {
      const body = JSON.stringify(stats);
      res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
      res.end(body);
      return;
    }
    if (req.method === "GET" && req.url === "/health") {
      res.writeHead(200, { "content-type": "text/plain", "content-length": 2 });
      res.end("ok");
      return;
    }
    let bytes = 0;
    /** @type {Buffer | null} */
    let head = null;
    req.on("data", (chunk) => {
      if (!head) head = chunk.subarray(0, 512);
      bytes += chunk.length;
    });
    req.on("end", () => {
      const path = (req.url ?? "").split("?")[0];
      stats.requests++;
      stats.bytes += bytes;
      stats.byPath[path] = (stats.byPath[path] ?? 0) + 1;
      stats.lastPath = path;
      stats.lastAuthorization = typeof req.headers.authorization === "string";
      stats.lastBodyBytes = bytes;
      if (req.method !== "POST" || !path.endsWith("/chat/completions")) {
        const body = JSON.stringify({ error: { message: `mock upstream: no route ${req.method} ${path}`, type: "invalid_request_error", code: "not_found", param: null } });
        res.writeHead(404, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
        res.end(body);
        return;
      }
      // The model, cheaply: clients and proxies put it near the start of the body.
      const m = head ? /"model"\s*:\s*"([^"]{1,200})"/.exec(head.toString("latin1")) : null;
      const model = m ? m[1] : "gpt-4o-mini";
      stats.lastModel = model;
      const promptTokens = Math.max(1, Math.ceil(bytes / 4));
      seq++;
      const body =
        `{"id":"chatcmpl-bench${seq}","object":"chat.completion","created":${Math.floor(Date.now() / 1000)},"model":${JSON.stringify(model)},` +
        `"choices":[{"index":0,"message":{"role":"assistant","content":${JSON.stringify(ANSWER)},"refusal":null},"logprobs":null,"finish_reason":"stop"}],` +
        `"usage":{"prompt_tokens":${promptTokens},"completion_tokens":${COMPLETION_TOKENS},"total_tokens":${promptTokens + COMPLETION_TOKENS},` +
        `"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}},` +
        `"service_tier":"default","system_fingerprint":"fp_bench"}`;
      res.writeHead(200, {
        "content-type": "application/json",
        "content-length": Buffer.byteLength(body),
        "x-request-id": `req_bench${seq}`,
        "openai-processing-ms": "0",
      });
      res.end(body);
    });
    req.on("error", () => res.destroy());
  });
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 130_000;
  server.requestTimeout = 0;
  server.maxHeadersCount = 0;
  return { server, stats };
}

/**
 * Forks the mock upstream into its own process and waits until it listens.
 * @returns {Promise<{ url: string, port: number, pid: number, stats: () => Promise<any>, stop: () => Promise<void> }>}
 */
export async function startUpstream() {
  const child = fork(fileURLToPath(import.meta.url), ["--serve"], {
    execPath: process.execPath,
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  own(child.pid);
  const stop = () => stopChild(child);
  onCleanup("mock upstream", stop);
  const port = await new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error("mock upstream did not start within 10 s")), 10_000);
    child.once("message", (/** @type {any} */ msg) => {
      clearTimeout(t);
      resolve(msg.port);
    });
    child.once("exit", (code) => {
      clearTimeout(t);
      reject(new Error(`mock upstream exited with code ${code}`));
    });
  });
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    port,
    pid: /** @type {number} */ (child.pid),
    stats: async () => (await fetch(`${url}/__stats`)).json(),
    stop,
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv.includes("--serve")) {
  const { server } = createUpstreamServer();
  server.listen(0, "127.0.0.1", () => {
    const addr = server.address();
    const port = typeof addr === "object" && addr ? addr.port : 0;
    if (process.send) process.send({ port });
    else console.log(`mock upstream on http://127.0.0.1:${port}`);
  });
  const shutdown = () => {
    server.closeAllConnections();
    server.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 500).unref();
  };
  process.on("SIGTERM", shutdown);
  process.on("SIGINT", shutdown);
  // Exit with the parent: when the IPC channel closes, the bench is gone.
  process.on("disconnect", shutdown);
}
