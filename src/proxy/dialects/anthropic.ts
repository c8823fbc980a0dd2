/**
 * Usage in the Anthropic dialect: `usage` on a message, `message_start` and
 * `message_delta` in a stream. Beyond tokens it reads the cache writes by TTL
 * (`usage.cache_creation`), the server tools' billed requests
 * (`usage.server_tool_use`), the tier (`usage.service_tier`) and fast mode
 * (`usage.speed`), and whether code execution ran (content blocks).
 */
import type { Usage } from "../../pricing/cost";
import { count, JsonEventTracker, obj, type DialectUsage } from "./types";

/** `usage.server_tool_use` counters → billed tool units (names as in pricing/tools.ts). */
const SERVER_TOOL_UNITS: Readonly<Record<string, string>> = {
  web_search_requests: "web_search",
  web_fetch_requests: "web_fetch",
};

/** Server-tool names that run in a code-execution container. */
const CODE_EXECUTION = /(^|_)code_execution$/;

function toolUnits(u: Record<string, unknown>, ranCode: boolean): Record<string, number> | undefined {
  const out: Record<string, number> = {};
  const s = obj(u.server_tool_use);
  for (const [field, unit] of Object.entries(SERVER_TOOL_UNITS)) {
    const n = count(s?.[field]);
    if (n > 0) out[unit] = n;
  }
  // Code execution is billed by container time, budgeted as one container-hour per call that ran code.
  if (ranCode || count(s?.code_execution_requests) > 0) out.code_execution = 1;
  return Object.keys(out).length > 0 ? out : undefined;
}

function normalise(u: Record<string, unknown>, opts: { output?: number; ranCode?: boolean } = {}): Usage {
  const writes = count(u.cache_creation_input_tokens);
  const byTtl = obj(u.cache_creation);
  const w1h = count(byTtl?.ephemeral_1h_input_tokens);
  // Without the TTL breakdown every write is a 5-minute write; with it, whatever the breakdown leaves out is too.
  const w5m = byTtl ? Math.max(count(byTtl.ephemeral_5m_input_tokens), writes - w1h) : writes;
  const usage: Usage = {
    // Anthropic's input_tokens already excludes cache reads and writes.
    inputTokens: count(u.input_tokens),
    cachedInputTokens: count(u.cache_read_input_tokens),
    cacheWriteTokens: w5m,
    outputTokens: opts.output ?? count(u.output_tokens),
  };
  if (w1h > 0) usage.cacheWrite1hTokens = w1h;
  const tools = toolUnits(u, opts.ranCode ?? false);
  if (tools) usage.toolCalls = tools;
  if (u.speed === "fast") usage.serviceTier = "fast";
  else if (typeof u.service_tier === "string") usage.serviceTier = u.service_tier;
  return usage;
}

function runsCode(block: unknown): boolean {
  const b = obj(block);
  return b?.type === "server_tool_use" && typeof b.name === "string" && CODE_EXECUTION.test(b.name);
}

/** Fields of a `message_delta` usage that restate (cumulatively) what `message_start` said. */
const RESTATED = ["input_tokens", "cache_read_input_tokens", "cache_creation_input_tokens", "cache_creation", "server_tool_use", "service_tier", "speed"] as const;

class MessagesTracker extends JsonEventTracker {
  private start: Record<string, unknown> | null = null;
  private output: number | null = null;
  private ranCode = false;

  protected handle(ev: Record<string, unknown>): boolean {
    switch (ev.type) {
      case "message_start":
        this.start = { ...(obj(obj(ev.message)?.usage) ?? {}) };
        break;
      case "content_block_start":
        if (runsCode(ev.content_block)) this.ranCode = true;
        break;
      case "content_block_delta": {
        const d = obj(ev.delta);
        for (const k of ["text", "partial_json", "thinking"] as const) {
          if (typeof d?.[k] === "string") this.text += d[k];
        }
        break;
      }
      case "message_delta": {
        const u = obj(ev.usage);
        // output_tokens in message_delta is cumulative; later deltas may also restate input, cache and tool counts.
        if (u && typeof u.output_tokens === "number") this.output = count(u.output_tokens);
        if (u && this.start) {
          for (const k of RESTATED) {
            if (u[k] !== undefined && u[k] !== null) this.start[k] = u[k];
          }
        }
        break;
      }
    }
    return true;
  }
  usage(): Usage | null {
    if (!this.start || this.output === null) return null;
    return normalise(this.start, { output: this.output, ranCode: this.ranCode });
  }
}

/** The Anthropic dialect's usage readers. */
export const anthropicUsage: DialectUsage = {
  fromJson(_route, body) {
    const msg = obj(body);
    const u = obj(msg?.usage);
    if (!u || typeof u.input_tokens !== "number" || typeof u.output_tokens !== "number") return null;
    const content = Array.isArray(msg?.content) ? msg.content : [];
    return normalise(u, { ranCode: content.some(runsCode) });
  },
  tracker() {
    return new MessagesTracker();
  },
};
