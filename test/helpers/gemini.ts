/** Shared pieces of the Gemini and Azure suites: the official SDKs wired to the worker, and Gemini-shaped fixtures. */
import { GoogleGenAI } from "@google/genai";
import { exports } from "cloudflare:workers";
import { call } from "./guard";

/** The worker's fetch handler as an SDK's `fetch`: the SDK's HTTP never reaches the network. */
export const viaGuard = (input: string | URL | Request, init?: RequestInit): Promise<Response> =>
  exports.default.fetch(new Request(input, init));

/** `@google/genai` pointed at the guard, exactly as a user points it at `npm start`. */
export function genai(key: string, fetchFn: typeof viaGuard = viaGuard): GoogleGenAI {
  return new GoogleGenAI({ apiKey: key, httpOptions: { baseUrl: "https://guard.test", fetch: fetchFn } });
}

/** A raw POST to a Gemini method of `model` with the key in `x-goog-api-key` (or none). */
export function geminiPost(model: string, method: string, body: unknown, key: string | null, query = ""): Promise<Response> {
  return call(`/v1beta/models/${model}:${method}${query}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(key ? { "x-goog-api-key": key } : {}) },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

/** One user turn of text. */
export const userText = (text: string) => [{ role: "user", parts: [{ text }] }];

/** A generateContent answer as Google sends it, with the usage given. */
export function geminiAnswer(usage: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    candidates: [{ content: { role: "model", parts: [{ text: "Budgets keep spend in check." }] }, finishReason: "STOP", index: 0, ...extra }],
    usageMetadata: usage,
    modelVersion: "gemini-2.5-pro",
    responseId: "resp-fixture",
  };
}

/** Server-sent events as Google streams them (`data: …` and CRLF CRLF). */
export function geminiSse(events: unknown[]): Response {
  return new Response(events.map((e) => `data: ${JSON.stringify(e)}\r\n\r\n`).join(""), {
    headers: { "content-type": "text/event-stream" },
  });
}
