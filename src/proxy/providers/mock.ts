/**
 * The built-in mock provider: a real part of the product that lets a new user
 * run the whole guard offline. It answers in the dialect of the route it is
 * called on (OpenAI chat, Responses, embeddings; Anthropic Messages),
 * streaming or not, and reports usage the way the real provider would: input
 * counted by the same tokenizer the guard uses, output honouring the cap.
 *
 * For tests and benchmarks only, the request headers `x-mock-latency-ms`,
 * `x-mock-fail` (`500`, `429`, `reset`, `no-usage`, `midstream`) and
 * `x-mock-output-tokens` shape the answer. A Responses call with `background: true`
 * (not streamed) answers `queued`; retrieving it answers `completed` with the
 * usage the call would have had, or, by the header `x-mock-background` sent
 * with the call, stays `in_progress` forever (`pending`) or ends `failed`
 * without usage (`failed`). The id carries the job, so the mock keeps no state.
 * Tool calls (a `[[tool:<name>]]` marker, `x-mock-tool-call`, a forced tool choice): mock-tools.ts.
 */
import { lookupModel } from "../../pricing/cost";
import { chatInput, embeddingsInput, exactEncodingOf, exactInputTokens, messagesInput, responsesInput, type InputPieces } from "../../tokens/inputs";
import { geminiEmbedInput, geminiInput } from "../dialects/gemini-input";
import { mockGemini, mockGeminiCount } from "./mock-gemini";
import { countTokensExact } from "../../tokens/exact";
import { toolCallReply, wantedToolCall } from "./mock-tools";
import type { Provider, RouteKind, UpstreamCall } from "./types";

/** A background job's id: `resp_bg_<mode>_<input tokens>_<output tokens>_<nonce>`. */
const BACKGROUND_ID = /^resp_bg_(complete|pending|failed)_(\d+)_(\d+)_[a-z0-9]+$/;

const WORDS = ["the", "budget", "guard", "kept", "this", "call", "within", "its", "limit", "and", "your", "spend", "is", "safe", "today"];
const DEFAULT_OUTPUT_TOKENS = 48;

const INPUT_OF: Record<RouteKind, (b: Record<string, unknown>) => InputPieces> = {
  chat: chatInput,
  responses: responsesInput,
  embeddings: embeddingsInput,
  messages: messagesInput,
  generateContent: geminiInput,
  embedContent: geminiEmbedInput,
};

/** Deterministic reply text of exactly `tokens` tokens: each word with its leading space is one token. */
function replyText(tokens: number): string {
  const parts: string[] = [];
  for (let i = 0; i < tokens; i++) parts.push(i === 0 ? "Mock" : ` ${WORDS[i % WORDS.length]}`);
  return parts.join("");
}

function capOf(route: RouteKind, body: Record<string, unknown>): number | null {
  const v = route === "responses" ? body.max_output_tokens : (body.max_completion_tokens ?? body.max_tokens);
  return typeof v === "number" && v > 0 ? Math.floor(v) : null;
}

function sse(events: { event?: string; data: unknown }[], opts: { breakAfter?: number }): Response {
  const enc = new TextEncoder();
  const stream = new ReadableStream<Uint8Array>({
    async start(controller) {
      for (let i = 0; i < events.length; i++) {
        if (opts.breakAfter !== undefined && i === opts.breakAfter) {
          controller.error(new Error("mock upstream connection reset mid-stream"));
          return;
        }
        const e = events[i];
        if (!e) continue;
        const data = typeof e.data === "string" ? e.data : JSON.stringify(e.data);
        controller.enqueue(enc.encode(`${e.event ? `event: ${e.event}\n` : ""}data: ${data}\n\n`));
      }
      controller.close();
    },
  });
  return new Response(stream, { headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" } });
}

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
}

function errorFor(route: RouteKind, status: number): Response {
  const message = `mock provider failure (${status})`;
  return route === "messages"
    ? json({ type: "error", error: { type: status === 429 ? "rate_limit_error" : "api_error", message } }, status)
    : json({ error: { message, type: status === 429 ? "rate_limit_exceeded" : "server_error", code: null, param: null } }, status);
}

/** Little-endian float32 vector as base64, the OpenAI SDK's default embedding encoding. */
function base64Floats(v: number[]): string {
  const bytes = new Uint8Array(new Float32Array(v).buffer);
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

function embeddingOf(text: string, dims: number): number[] {
  const out: number[] = [];
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  for (let i = 0; i < dims; i++) {
    h = Math.imul(h ^ (h >>> 15), 2246822507);
    out.push(((h >>> 0) / 0xffffffff) * 2 - 1);
  }
  return out;
}

/** The mock provider module. */
export const mock: Provider = {
  name: "mock",
  routes: ["chat", "responses", "embeddings", "messages", "generateContent", "embedContent"],
  async send(call: UpstreamCall): Promise<Response> {
    // Gemini's dialect has its own shapes and error format (mock-gemini.ts).
    if (call.route === "generateContent" || call.route === "embedContent") return mockGemini(call);
    const h = call.clientHeaders;
    const latency = Math.min(60_000, Math.max(0, Number(h.get("x-mock-latency-ms") ?? 0) || 0));
    if (latency > 0) await new Promise((r) => setTimeout(r, latency));
    const fail = h.get("x-mock-fail") ?? "";
    if (/^[45]\d\d$/.test(fail)) return errorFor(call.route, Number(fail));
    if (fail === "reset") throw new TypeError("mock upstream connection reset");

    const info = lookupModel(call.model);
    const encoding = info?.encoding ?? "o200k_base";
    const inputTokens = await exactInputTokens(INPUT_OF[call.route](call.body), encoding);
    const withUsage = fail !== "no-usage";
    const created = Math.floor(Date.now() / 1000);
    const id = crypto.randomUUID().replace(/-/g, "").slice(0, 24);

    // A tool call when the request offers tools and asks for one (see mock-tools.ts).
    const tool = wantedToolCall(call.route, call.body, h);
    if (tool) {
      const reply = await toolCallReply({ ...call, id, created, inputTokens, withUsage, encoding }, tool);
      return "body" in reply ? json(reply.body) : sse(reply.events, {});
    }

    if (call.route === "embeddings") {
      const input = call.body.input;
      const items = Array.isArray(input) && typeof input[0] !== "number" ? input : [input];
      const base64 = call.body.encoding_format === "base64";
      return json({
        object: "list",
        data: items.map((item, index) => {
          const v = embeddingOf(typeof item === "string" ? item : JSON.stringify(item), 8);
          return { object: "embedding", index, embedding: base64 ? base64Floats(v) : v };
        }),
        model: call.model,
        ...(withUsage ? { usage: { prompt_tokens: inputTokens, total_tokens: inputTokens } } : {}),
      });
    }

    const cap = capOf(call.route, call.body);
    const wanted = Math.max(1, Number(h.get("x-mock-output-tokens") ?? DEFAULT_OUTPUT_TOKENS) || DEFAULT_OUTPUT_TOKENS);
    const outTokens = Math.max(1, Math.min(wanted, cap ?? wanted, info?.maxOutputTokens ?? wanted));
    const text = replyText(outTokens);
    const outputTokens = await countTokensExact(text, exactEncodingOf(encoding));
    const truncated = cap !== null && wanted > cap;
    const chunks = text.match(/.{1,24}/gs) ?? [text];
    const breakAfter = fail === "midstream" ? Math.max(1, Math.floor(chunks.length / 2)) : undefined;

    switch (call.route) {
      case "chat": {
        const usage = {
          prompt_tokens: inputTokens,
          completion_tokens: outputTokens,
          total_tokens: inputTokens + outputTokens,
          prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
          completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
        };
        const finish = truncated ? "length" : "stop";
        const base = { id: `chatcmpl-${id}`, created, model: call.model, system_fingerprint: "fp_mock" };
        if (!call.stream) {
          return json({
            ...base,
            object: "chat.completion",
            choices: [{ index: 0, message: { role: "assistant", content: text, refusal: null }, logprobs: null, finish_reason: finish }],
            ...(withUsage ? { usage } : {}),
          });
        }
        const chunk = (delta: Record<string, unknown>, finishReason: string | null) => ({
          ...base,
          object: "chat.completion.chunk",
          choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
          ...(call.body.stream_options ? { usage: null } : {}),
        });
        const includeUsage = (call.body.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true;
        const events = [
          { data: chunk({ role: "assistant", content: "", refusal: null }, null) },
          ...chunks.map((c) => ({ data: chunk({ content: c }, null) })),
          { data: chunk({}, finish) },
          ...(includeUsage && withUsage ? [{ data: { ...base, object: "chat.completion.chunk", choices: [], usage } }] : []),
          { data: "[DONE]" },
        ];
        return sse(events, { breakAfter: breakAfter === undefined ? undefined : breakAfter + 1 });
      }
      case "responses": {
        const usage = {
          input_tokens: inputTokens,
          input_tokens_details: { cached_tokens: 0 },
          output_tokens: outputTokens,
          output_tokens_details: { reasoning_tokens: 0 },
          total_tokens: inputTokens + outputTokens,
        };
        const msgId = `msg_${id}`;
        const response = (status: string, full: boolean) => ({
          id: `resp_${id}`,
          object: "response",
          created_at: created,
          status,
          model: call.model,
          output: full
            ? [
                {
                  type: "message",
                  id: msgId,
                  status: "completed",
                  role: "assistant",
                  content: [{ type: "output_text", text, annotations: [] }],
                },
              ]
            : [],
          incomplete_details: truncated ? { reason: "max_output_tokens" } : null,
          usage: full && withUsage ? usage : null,
        });
        const finalStatus = truncated ? "incomplete" : "completed";
        if (call.body.background === true && !call.stream) {
          const mode = ["pending", "failed"].includes(h.get("x-mock-background") ?? "") ? h.get("x-mock-background") : "complete";
          return json({ ...response("queued", false), id: `resp_bg_${mode}_${inputTokens}_${outputTokens}_${id}`, background: true });
        }
        if (!call.stream) return json(response(finalStatus, true));
        let seq = 0;
        const ev = (type: string, data: Record<string, unknown>) => ({ event: type, data: { type, sequence_number: seq++, ...data } });
        const part = { item_id: msgId, output_index: 0, content_index: 0 };
        const events = [
          ev("response.created", { response: response("in_progress", false) }),
          ev("response.output_item.added", {
            output_index: 0,
            item: { type: "message", id: msgId, status: "in_progress", role: "assistant", content: [] },
          }),
          // The SDKs' stream accumulators add text to the content part this event opens.
          ev("response.content_part.added", { ...part, part: { type: "output_text", text: "", annotations: [] } }),
          ...chunks.map((c) => ev("response.output_text.delta", { ...part, delta: c })),
          ev("response.output_text.done", { ...part, text }),
          ev("response.content_part.done", { ...part, part: { type: "output_text", text, annotations: [] } }),
          ev("response.output_item.done", { output_index: 0, item: response(finalStatus, true).output[0] }),
          ev(truncated ? "response.incomplete" : "response.completed", { response: response(finalStatus, true) }),
        ];
        return sse(events, { breakAfter: breakAfter === undefined ? undefined : breakAfter + 3 });
      }
      case "messages": {
        const usage = {
          input_tokens: inputTokens,
          cache_creation_input_tokens: 0,
          cache_read_input_tokens: 0,
          output_tokens: outputTokens,
        };
        const stop = truncated ? "max_tokens" : "end_turn";
        const msg = { id: `msg_${id}`, type: "message", role: "assistant", model: call.model, stop_sequence: null };
        if (!call.stream) {
          return json({ ...msg, content: [{ type: "text", text }], stop_reason: stop, ...(withUsage ? { usage } : {}) });
        }
        const events = [
          {
            event: "message_start",
            data: { type: "message_start", message: { ...msg, content: [], stop_reason: null, usage: { ...usage, output_tokens: 1 } } },
          },
          { event: "content_block_start", data: { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } } },
          { event: "ping", data: { type: "ping" } },
          ...chunks.map((c) => ({
            event: "content_block_delta",
            data: { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: c } },
          })),
          { event: "content_block_stop", data: { type: "content_block_stop", index: 0 } },
          {
            event: "message_delta",
            data: {
              type: "message_delta",
              delta: { stop_reason: stop, stop_sequence: null },
              usage: withUsage ? { output_tokens: outputTokens } : {},
            },
          },
          { event: "message_stop", data: { type: "message_stop" } },
        ];
        return sse(events, { breakAfter: breakAfter === undefined ? undefined : breakAfter + 3 });
      }
    }
  },
  countTokens: mockGeminiCount,
  async retrieve(route: RouteKind, id: string): Promise<Response> {
    const m = route === "responses" ? BACKGROUND_ID.exec(id) : null;
    if (!m)
      return json(
        { error: { message: `No response found with id '${id}'.`, type: "invalid_request_error", code: null, param: null } },
        404,
      );
    const [, mode, input, output] = m;
    const inputTokens = Number(input);
    const outputTokens = Number(output);
    const base = { id, object: "response", created_at: Math.floor(Date.now() / 1000), model: "mock", background: true };
    if (mode === "pending") return json({ ...base, status: "in_progress", output: [], usage: null });
    if (mode === "failed")
      return json({ ...base, status: "failed", error: { code: "server_error", message: "mock job failed" }, output: [], usage: null });
    return json({
      ...base,
      status: "completed",
      output: [
        {
          type: "message",
          id: `msg_${id}`,
          status: "completed",
          role: "assistant",
          content: [{ type: "output_text", text: replyText(outputTokens), annotations: [] }],
        },
      ],
      usage: {
        input_tokens: inputTokens,
        input_tokens_details: { cached_tokens: 0 },
        output_tokens: outputTokens,
        output_tokens_details: { reasoning_tokens: 0 },
        total_tokens: inputTokens + outputTokens,
      },
    });
  },
};
