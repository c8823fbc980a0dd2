/**
 * The billing double's wire formats: OpenAI chat / Responses / embeddings and
 * Anthropic Messages answers, JSON and SSE, reporting the usage the double
 * billed (or none, when a test says the provider omits it).
 */
import type { BilledUsage } from "./billing-meter";

/** How the double answers a stream: to the end, broken after the first token, or stalled after it until the reader leaves. */
export type StreamMode = "complete" | "cut-after-first-token" | "hang-after-first-token";

/** One answer to put on the wire. */
export interface Answer {
  route: "chat" | "responses" | "embeddings" | "messages";
  id: string;
  model: string;
  usage: BilledUsage;
  /** Visible tokens per choice (the rest of the output is hidden reasoning). */
  visiblePerChoice: number;
  choices: number;
  reportUsage: boolean;
  stream: boolean;
  streamMode: StreamMode;
  signal: AbortSignal | null;
  /** Responses only: extra fields (status, background). */
  extra?: Record<string, unknown>;
}

/** Visible text of `n` tokens: " the" is one token in o200k and cl100k. */
export function visibleText(n: number): string {
  return " the".repeat(Math.max(0, n));
}

function openaiUsage(a: Answer): Record<string, unknown> {
  const u = a.usage;
  const input = u.inputTokens + u.cachedInputTokens + u.audioInputTokens;
  if (a.route === "embeddings") return { prompt_tokens: input, total_tokens: input };
  if (a.route === "responses") {
    return {
      input_tokens: input,
      input_tokens_details: { cached_tokens: u.cachedInputTokens },
      output_tokens: u.outputTokens,
      output_tokens_details: { reasoning_tokens: u.reasoningTokens },
      total_tokens: input + u.outputTokens,
    };
  }
  return {
    prompt_tokens: input,
    completion_tokens: u.outputTokens,
    total_tokens: input + u.outputTokens,
    prompt_tokens_details: { cached_tokens: u.cachedInputTokens, audio_tokens: u.audioInputTokens },
    completion_tokens_details: { reasoning_tokens: u.reasoningTokens },
  };
}

function anthropicUsage(a: Answer): Record<string, unknown> {
  const u = a.usage;
  return {
    input_tokens: u.inputTokens,
    cache_creation_input_tokens: u.cacheWrite5mTokens + u.cacheWrite1hTokens,
    cache_read_input_tokens: u.cachedInputTokens,
    cache_creation: { ephemeral_5m_input_tokens: u.cacheWrite5mTokens, ephemeral_1h_input_tokens: u.cacheWrite1hTokens },
    output_tokens: u.outputTokens,
    server_tool_use: { web_search_requests: u.toolCalls.web_search ?? 0 },
    service_tier: "standard",
  };
}

function responseItems(a: Answer, text: string): unknown[] {
  const items: unknown[] = [];
  if (a.usage.reasoningTokens > 0) items.push({ type: "reasoning", id: `rs_${a.id}`, summary: [] });
  for (let i = 0; i < (a.usage.toolCalls.web_search ?? 0) + (a.usage.toolCalls.web_search_preview ?? 0); i++) {
    items.push({ type: "web_search_call", id: `ws_${a.id}_${i}`, status: "completed", action: { type: "search", query: "q" } });
  }
  items.push({
    type: "message",
    id: `msg_${a.id}`,
    status: "completed",
    role: "assistant",
    content: [{ type: "output_text", text, annotations: [] }],
  });
  return items;
}

/** The Responses object (also what GET /responses/{id} returns). */
export function responseObject(a: Answer): Record<string, unknown> {
  const text = visibleText(a.visiblePerChoice);
  return {
    id: a.id,
    object: "response",
    created_at: Math.floor(Date.now() / 1000),
    status: "completed",
    model: a.model,
    output: responseItems(a, text),
    service_tier: a.usage.serviceTier,
    usage: a.reportUsage ? openaiUsage(a) : null,
    ...a.extra,
  };
}

/** The JSON body of a non-streaming answer. */
export function jsonAnswer(a: Answer): Record<string, unknown> {
  const text = visibleText(a.visiblePerChoice);
  const usage = a.reportUsage ? { usage: a.route === "messages" ? anthropicUsage(a) : openaiUsage(a) } : {};
  switch (a.route) {
    case "embeddings":
      return { object: "list", model: a.model, data: [{ object: "embedding", index: 0, embedding: [0, 0, 0] }], ...usage };
    case "responses":
      return responseObject(a);
    case "messages":
      return {
        id: a.id,
        type: "message",
        role: "assistant",
        model: a.model,
        content: [{ type: "text", text }],
        stop_reason: "max_tokens",
        stop_sequence: null,
        ...usage,
      };
    case "chat":
      return {
        id: a.id,
        object: "chat.completion",
        created: Math.floor(Date.now() / 1000),
        model: a.model,
        service_tier: a.usage.serviceTier,
        choices: Array.from({ length: a.choices }, (_, index) => ({
          index,
          message: { role: "assistant", content: text },
          finish_reason: "length",
        })),
        ...usage,
      };
  }
}

type Event = { event?: string; data: unknown };

/** SSE events: a one-token first delta, then the rest of the visible text, then the usage-bearing end. */
function events(a: Answer): { head: Event[]; first: Event[]; rest: Event[] } {
  const restText = visibleText(a.visiblePerChoice - 1);
  const one = visibleText(Math.min(1, a.visiblePerChoice));
  if (a.route === "messages") {
    const start = { ...anthropicUsage(a), output_tokens: 1 };
    const delta = (text: string): Event => ({
      event: "content_block_delta",
      data: { type: "content_block_delta", index: 0, delta: { type: "text_delta", text } },
    });
    return {
      head: [
        {
          event: "message_start",
          data: {
            type: "message_start",
            message: { id: a.id, type: "message", role: "assistant", model: a.model, content: [], stop_reason: null, usage: start },
          },
        },
        { event: "content_block_start", data: { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } } },
      ],
      first: [delta(one)],
      rest: [
        delta(restText),
        { event: "content_block_stop", data: { type: "content_block_stop", index: 0 } },
        {
          event: "message_delta",
          data: {
            type: "message_delta",
            delta: { stop_reason: "max_tokens", stop_sequence: null },
            usage: a.reportUsage ? { output_tokens: a.usage.outputTokens } : {},
          },
        },
        { event: "message_stop", data: { type: "message_stop" } },
      ],
    };
  }
  if (a.route === "responses") {
    const ev = (type: string, data: Record<string, unknown>): Event => ({ event: type, data: { type, ...data } });
    const created = { ...responseObject(a), status: "in_progress", output: [], usage: null };
    return {
      head: [ev("response.created", { response: created })],
      first: [ev("response.output_text.delta", { item_id: `msg_${a.id}`, output_index: 0, content_index: 0, delta: one })],
      rest: [
        ev("response.output_text.delta", { item_id: `msg_${a.id}`, output_index: 0, content_index: 0, delta: restText }),
        ev("response.completed", { response: responseObject(a) }),
      ],
    };
  }
  const chunk = (choices: unknown[], extra: Record<string, unknown> = {}): Event => ({
    data: { id: a.id, object: "chat.completion.chunk", model: a.model, choices, ...extra },
  });
  const perChoice = (text: string, finish: string | null) =>
    Array.from({ length: a.choices }, (_, index) => ({ index, delta: { content: text }, finish_reason: finish }));
  return {
    head: [chunk(Array.from({ length: a.choices }, (_, index) => ({ index, delta: { role: "assistant", content: "" } })))],
    first: [chunk(perChoice(one, null))],
    rest: [chunk(perChoice(restText, "length")), ...(a.reportUsage ? [chunk([], { usage: openaiUsage(a) })] : []), { data: "[DONE]" }],
  };
}

/** The SSE answer, shaped by the stream mode. */
export function sseAnswer(a: Answer): Response {
  const enc = new TextEncoder();
  const { head, first, rest } = events(a);
  const put = (c: ReadableStreamDefaultController<Uint8Array>, e: Event) =>
    c.enqueue(
      enc.encode(`${e.event ? `event: ${e.event}\n` : ""}data: ${typeof e.data === "string" ? e.data : JSON.stringify(e.data)}\n\n`),
    );
  let stop: (() => void) | undefined;
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      for (const e of [...head, ...first]) put(c, e);
      // Broken once the reader has taken the first token (see pull; erroring here would drop what was enqueued).
      if (a.streamMode === "cut-after-first-token") return;
      if (a.streamMode === "hang-after-first-token") {
        // Stalled until the reader goes away (client abort) or the guard's timeout aborts the call.
        const fail = () => {
          try {
            c.error(new Error("billing double: aborted"));
          } catch {
            // already closed
          }
        };
        stop = fail;
        if (a.signal?.aborted) fail();
        else a.signal?.addEventListener("abort", fail);
        return;
      }
      for (const e of rest) put(c, e);
      c.close();
    },
    pull(c) {
      if (a.streamMode === "cut-after-first-token") c.error(new Error("billing double: connection reset mid-stream"));
    },
    cancel() {
      stop?.();
    },
  });
  return new Response(body, { headers: { "content-type": "text/event-stream; charset=utf-8" } });
}
