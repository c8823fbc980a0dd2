/**
 * The built-in mock's Gemini dialect, so `@google/genai` runs offline against
 * the guard: generateContent, streamGenerateContent (SSE), embedContent,
 * batchEmbedContents and countTokens, with `usageMetadata` the way Google
 * reports it (input counted by the guard's tokenizer, output within
 * `maxOutputTokens` per candidate, thinking inside that cap as Gemini does).
 *
 * Test headers, as on the other dialects: `x-mock-latency-ms`, `x-mock-fail`
 * (`500`, `429`…, `reset`, `no-usage`, `midstream`), `x-mock-output-tokens`;
 * and for Gemini's extra counts `x-mock-thoughts-tokens` (thinking tokens) and
 * `x-mock-cached-tokens` (prompt tokens reported as served from a cache).
 */
import { lookupModel } from "../../pricing/cost";
import { countTokensExact } from "../../tokens/exact";
import { exactEncodingOf, exactInputTokens } from "../../tokens/inputs";
import { geminiEmbedInput, geminiInput } from "../dialects/gemini-input";
import { toolCallReply, wantedToolCall } from "./mock-tools";
import type { CountCall, UpstreamCall } from "./types";

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

const WORDS = ["the", "budget", "guard", "kept", "this", "call", "within", "its", "limit", "and", "your", "spend", "is", "safe", "today"];
const DEFAULT_OUTPUT_TOKENS = 48;

/** Reply text of exactly `tokens` tokens (each word with its leading space is one token). */
function replyText(tokens: number): string {
  const parts: string[] = [];
  for (let i = 0; i < tokens; i++) parts.push(i === 0 ? "Mock" : ` ${WORDS[i % WORDS.length]}`);
  return parts.join("");
}

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
}

const STATUS: Readonly<Record<number, string>> = { 400: "INVALID_ARGUMENT", 403: "PERMISSION_DENIED", 404: "NOT_FOUND", 429: "RESOURCE_EXHAUSTED", 503: "UNAVAILABLE" };

/** Google's error shape. */
function error(status: number): Response {
  return json({ error: { code: status, message: `mock provider failure (${status})`, status: STATUS[status] ?? "INTERNAL" } }, status);
}

function header(h: Headers, name: string): number | null {
  const v = Number(h.get(name) ?? "");
  return Number.isFinite(v) && v >= 0 && h.get(name) !== null ? Math.floor(v) : null;
}

function embedding(text: string): number[] {
  const out: number[] = [];
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  for (let i = 0; i < 8; i++) {
    h = Math.imul(h ^ (h >>> 15), 2246822507);
    out.push(((h >>> 0) / 0xffffffff) * 2 - 1);
  }
  return out;
}

function sse(events: unknown[], breakAfter: number | undefined): Response {
  const enc = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (let i = 0; i < events.length; i++) {
        if (breakAfter !== undefined && i === breakAfter) {
          controller.error(new Error("mock upstream connection reset mid-stream"));
          return;
        }
        controller.enqueue(enc.encode(`data: ${JSON.stringify(events[i])}\r\n\r\n`));
      }
      controller.close();
    },
  });
  return new Response(body, { headers: { "content-type": "text/event-stream" } });
}

/** The mock's answer to a Gemini-dialect call. */
export async function mockGemini(call: UpstreamCall): Promise<Response> {
  const h = call.clientHeaders;
  const latency = Math.min(60_000, header(h, "x-mock-latency-ms") ?? 0);
  if (latency > 0) await new Promise((r) => setTimeout(r, latency));
  const fail = h.get("x-mock-fail") ?? "";
  if (/^[45]\d\d$/.test(fail)) return error(Number(fail));
  if (fail === "reset") throw new TypeError("mock upstream connection reset");
  const withUsage = fail !== "no-usage";
  const info = lookupModel(call.model);
  const encoding = exactEncodingOf(info?.encoding ?? "o200k_base");

  if (call.route === "embedContent") {
    const input = await exactInputTokens(geminiEmbedInput(call.body), encoding);
    const usageMetadata = withUsage ? { usageMetadata: { promptTokenCount: input, totalTokenCount: input } } : {};
    if (Array.isArray(call.body.requests)) {
      return json({ embeddings: call.body.requests.map((r) => ({ values: embedding(JSON.stringify(isObj(r) ? r.content : r)) })), ...usageMetadata });
    }
    return json({ embedding: { values: embedding(JSON.stringify(call.body.content)) }, ...usageMetadata });
  }

  const prompt = await exactInputTokens(geminiInput(call.body), encoding);
  // A function call when the request offers tools and asks for one (mock-tools.ts).
  const tool = wantedToolCall(call.route, call.body, h);
  if (tool) {
    const id = crypto.randomUUID().replace(/-/g, "").slice(0, 24);
    const reply = await toolCallReply({ ...call, id, created: 0, inputTokens: prompt, withUsage, encoding }, tool);
    return "body" in reply ? json(reply.body) : sse(reply.events.map((e) => e.data), undefined);
  }
  const gc = isObj(call.body.generationConfig) ? call.body.generationConfig : {};
  const cap = typeof gc.maxOutputTokens === "number" && gc.maxOutputTokens > 0 ? Math.floor(gc.maxOutputTokens) : null;
  const n = typeof gc.candidateCount === "number" && gc.candidateCount > 1 ? Math.floor(gc.candidateCount) : 1;
  const limit = Math.min(cap ?? Infinity, info?.maxOutputTokens ?? Infinity);
  // Gemini counts thinking against maxOutputTokens: what thinking takes, the answer cannot.
  const thoughts = Math.min(header(h, "x-mock-thoughts-tokens") ?? 0, Math.max(0, limit - 1));
  const wanted = Math.max(1, header(h, "x-mock-output-tokens") ?? DEFAULT_OUTPUT_TOKENS);
  const visible = Math.max(1, Math.min(wanted, limit - thoughts));
  const text = replyText(visible);
  const perCandidate = await countTokensExact(text, encoding);
  const finishReason = wanted + thoughts > limit ? "MAX_TOKENS" : "STOP";
  const cached = Math.min(prompt, header(h, "x-mock-cached-tokens") ?? 0);
  const usage = (output: number, done: boolean) => ({
    promptTokenCount: prompt,
    candidatesTokenCount: output,
    totalTokenCount: prompt + output + (done ? thoughts : 0),
    ...(done && thoughts > 0 ? { thoughtsTokenCount: thoughts } : {}),
    ...(cached > 0 ? { cachedContentTokenCount: cached } : {}),
    promptTokensDetails: [{ modality: "TEXT", tokenCount: prompt }],
  });
  const base = { modelVersion: call.model, responseId: crypto.randomUUID().replace(/-/g, "").slice(0, 24) };
  const candidate = (index: number, partText: string, finish: boolean) => ({
    content: { role: "model", parts: [{ text: partText }] },
    ...(finish ? { finishReason } : {}),
    index,
  });

  if (!call.stream) {
    return json({
      candidates: Array.from({ length: n }, (_, i) => candidate(i, text, true)),
      ...(withUsage ? { usageMetadata: usage(perCandidate * n, true) } : {}),
      ...base,
    });
  }
  const chunks = text.match(/.{1,24}/gs) ?? [text];
  let sent = "";
  const events: unknown[] = [];
  for (let i = 0; i < chunks.length; i++) {
    const last = i === chunks.length - 1;
    sent += chunks[i];
    const running = last ? perCandidate * n : await countTokensExact(sent, encoding);
    events.push({
      candidates: last ? Array.from({ length: n }, (_, j) => candidate(j, j === 0 ? chunks[i]! : text, true)) : [candidate(0, chunks[i]!, false)],
      // Google's stream carries running counts on every event; the last one's are the totals.
      ...(withUsage ? { usageMetadata: usage(running, last) } : {}),
      ...base,
    });
  }
  return sse(events, fail === "midstream" ? Math.max(1, Math.floor(events.length / 2)) : undefined);
}

/** The mock's countTokens: the prompt as the guard's tokenizer counts it. */
export async function mockGeminiCount(call: CountCall): Promise<Response> {
  const inner = call.body.generateContentRequest;
  const request = isObj(inner) ? inner : call.body;
  const encoding = exactEncodingOf(lookupModel(call.model)?.encoding ?? "o200k_base");
  const total = await exactInputTokens(geminiInput(request), encoding);
  return json({ totalTokens: total, promptTokensDetails: [{ modality: "TEXT", tokenCount: total }] });
}
