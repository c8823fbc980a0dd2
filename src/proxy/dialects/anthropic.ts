/** Usage in the Anthropic dialect: `usage` on a message, `message_start` and `message_delta` in a stream. */
import type { Usage } from "../../pricing/cost";
import { count, JsonEventTracker, obj, type DialectUsage } from "./types";

function normalise(u: Record<string, unknown>, output?: number): Usage {
  return {
    // Anthropic's input_tokens already excludes cache reads and writes.
    inputTokens: count(u.input_tokens),
    cachedInputTokens: count(u.cache_read_input_tokens),
    cacheWriteTokens: count(u.cache_creation_input_tokens),
    outputTokens: output ?? count(u.output_tokens),
  };
}

class MessagesTracker extends JsonEventTracker {
  private start: Record<string, unknown> | null = null;
  private output: number | null = null;

  protected handle(ev: Record<string, unknown>): boolean {
    switch (ev.type) {
      case "message_start":
        this.start = obj(obj(ev.message)?.usage);
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
        // output_tokens in message_delta is cumulative; later deltas may also restate input and cache counts.
        if (u && typeof u.output_tokens === "number") this.output = count(u.output_tokens);
        if (u && this.start) {
          for (const k of ["input_tokens", "cache_read_input_tokens", "cache_creation_input_tokens"] as const) {
            if (typeof u[k] === "number" && u[k] !== null) this.start[k] = u[k];
          }
        }
        break;
      }
    }
    return true;
  }
  usage(): Usage | null {
    if (!this.start || this.output === null) return null;
    return normalise(this.start, this.output);
  }
}

/** The Anthropic dialect's usage readers. */
export const anthropicUsage: DialectUsage = {
  fromJson(_route, body) {
    const u = obj(obj(body)?.usage);
    return u && typeof u.input_tokens === "number" && typeof u.output_tokens === "number" ? normalise(u) : null;
  },
  tracker() {
    return new MessagesTracker();
  },
};
