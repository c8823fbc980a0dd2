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

/**
 * Chat and embeddings report `prompt_tokens` (cached and audio included); Responses reports
 * `input_tokens`. Cache writes (GPT-5.6 and later) are reported as `cache_write_tokens` next to
 * `cached_tokens`, also a part of the input.
 */
function normalise(route: RouteKind, u: Record<string, unknown>): Usage {
  const details = obj(route === "responses" ? u.input_tokens_details : u.prompt_tokens_details);
  const cached = count(details?.cached_tokens);
  const writes = count(details?.cache_write_tokens);
  const audio = route === "responses" ? 0 : count(details?.audio_tokens);
  const total = count(route === "responses" ? u.input_tokens : u.prompt_tokens);
  const usage: Usage = {
    inputTokens: Math.max(0, total - cached - writes - audio),
    cachedInputTokens: cached,
    cacheWriteTokens: writes,
    // Reasoning tokens are part of completion_tokens / output_tokens and billed as output.
    outputTokens: count(route === "responses" ? u.output_tokens : u.completion_tokens),
  };
  if (audio > 0) usage.audioInputTokens = audio;
  return usage;
}

/** Responses output items that bill a built-in tool fee, by the unit they bill (names as in pricing/tools.ts). */
const TOOL_ITEMS: Readonly<Record<string, string>> = {
  web_search_call: "web_search",
  file_search_call: "file_search",
};

/**
 * Billed tool units in a response's `output`: one per web or file search call, and one per
 * code-interpreter container the calls ran in (containers, not calls, are billed).
 */
export function responseToolUnits(output: unknown): Record<string, number> | undefined {
  if (!Array.isArray(output)) return undefined;
  const out: Record<string, number> = {};
  const containers = new Set<string>();
  let anonymous = 0;
  for (const item of output) {
    const it = obj(item);
    const type = typeof it?.type === "string" ? it.type : "";
    const unit = TOOL_ITEMS[type];
    if (unit) out[unit] = (out[unit] ?? 0) + 1;
    if (type === "code_interpreter_call") {
      if (typeof it?.container_id === "string") containers.add(it.container_id);
      else anonymous = 1;
    }
  }
  if (containers.size + anonymous > 0) out.code_interpreter = containers.size + anonymous;
  return Object.keys(out).length > 0 ? out : undefined;
}

/** Adds what a whole response object says beyond its usage: its tier and its built-in tool calls. */
function withResponseFacts(u: Usage, response: Record<string, unknown> | null, route: RouteKind): Usage {
  if (typeof response?.service_tier === "string") u.serviceTier = response.service_tier;
  if (route === "responses") {
    const tools = responseToolUnits(response?.output);
    if (tools) u.toolCalls = tools;
  }
  return u;
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
  private tier: string | null = null;
  constructor(private readonly hideUsageChunk: boolean) {
    super();
  }

  protected handle(chunk: Record<string, unknown>): boolean {
    if (typeof chunk.service_tier === "string") this.tier = chunk.service_tier;
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
    if (this.u && this.tier !== null) this.u.serviceTier = this.tier;
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
      const response = obj(ev.response);
      const u = usageField(response?.usage);
      if (u) this.u = withResponseFacts(normalise("responses", u), response, "responses");
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
    const response = obj(body);
    const u = usageField(response?.usage);
    return u ? withResponseFacts(normalise(route, u), response, route) : null;
  },
  tracker(route, opts) {
    return route === "responses" ? new ResponsesTracker() : new ChatTracker(opts.hideUsageChunk);
  },
  responseRef(route, body) {
    return route === "responses" ? responseRefOf(body) : null;
  },
};
