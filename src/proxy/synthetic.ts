/**
 * The one free "you have reached your limit" answer (`onHardLimit: "message"`),
 * as an ordinary assistant message in the route's dialect, streaming or not,
 * reporting zero usage because nothing was spent.
 */
import { geminiSyntheticAnswer } from "./dialects/gemini-synthetic";
import { ROUTE_DIALECT, type RouteKind } from "./providers/types";

function sse(events: { event?: string; data: unknown }[]): string {
  return events
    .map((e) => `${e.event ? `event: ${e.event}\n` : ""}data: ${typeof e.data === "string" ? e.data : JSON.stringify(e.data)}\n\n`)
    .join("");
}

/** A synthetic completion carrying `text`. */
export function syntheticAnswer(route: RouteKind, model: string, text: string, stream: boolean): Response {
  const id = crypto.randomUUID().replace(/-/g, "").slice(0, 24);
  const created = Math.floor(Date.now() / 1000);
  const headers = { "content-type": stream ? "text/event-stream; charset=utf-8" : "application/json" };
  if (ROUTE_DIALECT[route] === "gemini") return geminiSyntheticAnswer(model, text, stream);
  if (route === "messages") {
    const msg = { id: `msg_${id}`, type: "message", role: "assistant", model, stop_sequence: null };
    const usage = { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
    if (!stream)
      return new Response(JSON.stringify({ ...msg, content: [{ type: "text", text }], stop_reason: "end_turn", usage }), { headers });
    return new Response(
      sse([
        { event: "message_start", data: { type: "message_start", message: { ...msg, content: [], stop_reason: null, usage } } },
        { event: "content_block_start", data: { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } } },
        { event: "content_block_delta", data: { type: "content_block_delta", index: 0, delta: { type: "text_delta", text } } },
        { event: "content_block_stop", data: { type: "content_block_stop", index: 0 } },
        {
          event: "message_delta",
          data: { type: "message_delta", delta: { stop_reason: "end_turn", stop_sequence: null }, usage: { output_tokens: 0 } },
        },
        { event: "message_stop", data: { type: "message_stop" } },
      ]),
      { headers },
    );
  }
  if (route === "responses") {
    const response = {
      id: `resp_${id}`,
      object: "response",
      created_at: created,
      status: "completed",
      model,
      output: [
        {
          type: "message",
          id: `msg_${id}`,
          status: "completed",
          role: "assistant",
          content: [{ type: "output_text", text, annotations: [] }],
        },
      ],
      usage: {
        input_tokens: 0,
        input_tokens_details: { cached_tokens: 0 },
        output_tokens: 0,
        output_tokens_details: { reasoning_tokens: 0 },
        total_tokens: 0,
      },
    };
    if (!stream) return new Response(JSON.stringify(response), { headers });
    return new Response(
      sse([
        {
          event: "response.created",
          data: { type: "response.created", sequence_number: 0, response: { ...response, status: "in_progress", output: [] } },
        },
        {
          event: "response.output_text.delta",
          data: {
            type: "response.output_text.delta",
            sequence_number: 1,
            item_id: `msg_${id}`,
            output_index: 0,
            content_index: 0,
            delta: text,
          },
        },
        { event: "response.completed", data: { type: "response.completed", sequence_number: 2, response } },
      ]),
      { headers },
    );
  }
  const base = { id: `chatcmpl-${id}`, created, model };
  if (!stream) {
    return new Response(
      JSON.stringify({
        ...base,
        object: "chat.completion",
        choices: [{ index: 0, message: { role: "assistant", content: text, refusal: null }, logprobs: null, finish_reason: "stop" }],
        usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
      }),
      { headers },
    );
  }
  const chunk = (delta: Record<string, unknown>, finish: string | null) => ({
    ...base,
    object: "chat.completion.chunk",
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
  });
  return new Response(sse([{ data: chunk({ role: "assistant", content: text }, null) }, { data: chunk({}, "stop") }, { data: "[DONE]" }]), {
    headers,
  });
}
