/** Usage in the OpenAI dialect: chat completions, Responses and embeddings. */
import type { Usage } from "../../pricing/cost";
import type { RouteKind } from "../providers/types";
import { count, JsonEventTracker, obj, type DialectUsage, type ResponseRef, type SseEvent } from "./types";

/** A Responses object's id and status (`resp_…`), as the ledger remembers it for stored context and background jobs. */
function responseRefOf(v: unknown): ResponseRef | null {
  const r = obj(v);
  if (!r || typeof r.id !== "string" || r.id.length === 0 || r.id.length > 512) return null;
  return { id: r.id, status: typeof r.status === "string" ? r.status : null };
}

/** Chat and embeddings report `prompt_tokens` (cached included); Responses reports `input_tokens`. */
function normalise(route: RouteKind, u: Record<string, unknown>): Usage {
  if (route === "responses") {
    const cached = count(obj(u.input_tokens_details)?.cached_tokens);
    return {
      inputTokens: Math.max(0, count(u.input_tokens) - cached),
      cachedInputTokens: cached,
      cacheWriteTokens: 0,
      outputTokens: count(u.output_tokens),
    };
  }
  const cached = count(obj(u.prompt_tokens_details)?.cached_tokens);
  return {
    inputTokens: Math.max(0, count(u.prompt_tokens) - cached),
    cachedInputTokens: cached,
    cacheWriteTokens: 0,
    // Reasoning tokens are part of completion_tokens and billed as output.
    outputTokens: count(u.completion_tokens),
  };
}

/** A usage object whose counts are numbers; anything malformed reads as "no usage" and is settled on a counted estimate. */
function usageField(v: unknown): Record<string, unknown> | null {
  const u = obj(v);
  if (!u) return null;
  const num = (k: string) => typeof u[k] === "number" && Number.isFinite(u[k]);
  if (num("input_tokens") && num("output_tokens")) return u;
  if (num("prompt_tokens") && (num("completion_tokens") || u.completion_tokens === undefined)) return u;
  return null;
}

class ChatTracker extends JsonEventTracker {
  private u: Usage | null = null;
  constructor(private readonly hideUsageChunk: boolean) {
    super();
  }

  protected handle(chunk: Record<string, unknown>): boolean {
    const choices = Array.isArray(chunk.choices) ? chunk.choices : [];
    for (const c of choices) {
      const delta = obj(obj(c)?.delta);
      if (!delta) continue;
      if (typeof delta.content === "string") this.text += delta.content;
      if (typeof delta.refusal === "string") this.text += delta.refusal;
      if (Array.isArray(delta.tool_calls)) {
        for (const t of delta.tool_calls) {
          const f = obj(obj(t)?.function);
          if (typeof f?.arguments === "string") this.text += f.arguments;
          if (typeof f?.name === "string") this.text += f.name;
        }
      }
    }
    const u = usageField(chunk.usage);
    if (u) {
      this.u = normalise("chat", u);
      // The usage-only chunk exists because the guard asked for it; a client that did not ask never sees it.
      if (this.hideUsageChunk && choices.length === 0) return false;
    }
    return true;
  }
  usage(): Usage | null {
    return this.u;
  }
}

class ResponsesTracker extends JsonEventTracker {
  private u: Usage | null = null;
  private ref: ResponseRef | null = null;

  protected handle(ev: Record<string, unknown>, e: SseEvent): boolean {
    const type = typeof ev.type === "string" ? ev.type : (e.event ?? "");
    // response.created names the response first; later lifecycle events carry its latest status.
    if (type.startsWith("response.") && obj(ev.response)) this.ref = responseRefOf(ev.response) ?? this.ref;
    if (type === "response.output_text.delta" || type === "response.function_call_arguments.delta" || type === "response.refusal.delta") {
      if (typeof ev.delta === "string") this.text += ev.delta;
    } else if (type === "response.completed" || type === "response.incomplete" || type === "response.failed") {
      const u = usageField(obj(ev.response)?.usage);
      if (u) this.u = normalise("responses", u);
    }
    return true;
  }
  usage(): Usage | null {
    return this.u;
  }
  responseRef(): ResponseRef | null {
    return this.ref;
  }
}

/** The OpenAI dialect's usage readers. */
export const openaiUsage: DialectUsage = {
  fromJson(route, body) {
    const u = usageField(obj(body)?.usage);
    return u ? normalise(route, u) : null;
  },
  tracker(route, opts) {
    return route === "responses" ? new ResponsesTracker() : new ChatTracker(opts.hideUsageChunk);
  },
  responseRef(route, body) {
    return route === "responses" ? responseRefOf(body) : null;
  },
};
