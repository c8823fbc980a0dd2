/**
 * One blocked call per client of the matrix, through a fetch that counts the
 * HTTP attempts reaching the guard, and what the client raised: the evidence
 * behind the default block status (test/clients/no-retry-on-block.test.ts).
 */
import { createAnthropic } from "@ai-sdk/anthropic";
import { createGoogle } from "@ai-sdk/google";
import { createOpenAI } from "@ai-sdk/openai";
import Anthropic from "@anthropic-ai/sdk";
import { GoogleGenAI } from "@google/genai";
import { ChatAnthropic } from "@langchain/anthropic";
import { ChatOpenAI } from "@langchain/openai";
import { generateText, streamText } from "ai";
import OpenAI from "openai";
import { countingFetch, GUARD } from "./clients";

/** What a client did with one blocked call. */
export interface BlockOutcome {
  /** HTTP requests that reached the guard. */
  attempts: number;
  /** The error the application sees: its name and the HTTP status it carries. */
  raised: string;
  /** Whether its message is the guard's ("Daily budget of $… reached; resets at …"). */
  guardMessage: boolean;
}

type Call = (apiKey: string, fetch: typeof globalThis.fetch) => Promise<unknown>;

const hi = "Hi";

/** The clients of the matrix, each making one call its application would make. */
export const BLOCK_CLIENTS: Record<string, Call> = {
  "openai SDK": (apiKey, fetch) =>
    new OpenAI({ apiKey, baseURL: `${GUARD}/v1`, fetch }).chat.completions.create({
      model: "mock-small",
      messages: [{ role: "user", content: hi }],
      max_tokens: 16,
    }),
  "anthropic SDK": (apiKey, fetch) =>
    new Anthropic({ apiKey, baseURL: GUARD, fetch }).messages.create({
      model: "mock-small",
      max_tokens: 16,
      messages: [{ role: "user", content: hi }],
    }),
  "ai-sdk openai chat": (apiKey, fetch) =>
    generateText({ model: createOpenAI({ baseURL: `${GUARD}/v1`, apiKey, fetch }).chat("mock-small"), prompt: hi }),
  "ai-sdk openai chat, streamText": async (apiKey, fetch) => {
    let failure: unknown;
    const res = streamText({
      model: createOpenAI({ baseURL: `${GUARD}/v1`, apiKey, fetch }).chat("mock-small"),
      prompt: hi,
      onError: ({ error }) => {
        failure = error;
      },
    });
    for await (const _ of res.textStream);
    if (failure) throw failure;
  },
  "ai-sdk openai responses": (apiKey, fetch) =>
    generateText({ model: createOpenAI({ baseURL: `${GUARD}/v1`, apiKey, fetch }).responses("mock-small"), prompt: hi }),
  "ai-sdk anthropic": (apiKey, fetch) =>
    generateText({ model: createAnthropic({ baseURL: `${GUARD}/v1`, apiKey, fetch })("mock-small"), prompt: hi }),
  "ai-sdk google": (apiKey, fetch) =>
    generateText({ model: createGoogle({ baseURL: `${GUARD}/v1beta`, apiKey, fetch })("mock-small"), prompt: hi }),
  "google genai": (apiKey, fetch) =>
    new GoogleGenAI({ apiKey, httpOptions: { baseUrl: GUARD, fetch } }).models.generateContent({ model: "mock-small", contents: hi }),
  "langchain ChatOpenAI": (apiKey, fetch) =>
    new ChatOpenAI({ model: "mock-small", apiKey, configuration: { baseURL: `${GUARD}/v1`, fetch } }).invoke(hi),
  "langchain ChatOpenAI responses": (apiKey, fetch) =>
    new ChatOpenAI({ model: "mock-small", apiKey, useResponsesApi: true, configuration: { baseURL: `${GUARD}/v1`, fetch } }).invoke(hi),
  "langchain ChatAnthropic": (apiKey, fetch) =>
    new ChatAnthropic({ model: "mock-small", apiKey, anthropicApiUrl: GUARD, clientOptions: { fetch } }).invoke(hi),
};

function statusOf(e: unknown): number | undefined {
  if (typeof e !== "object" || e === null) return undefined;
  const o = e as { status?: unknown; statusCode?: unknown; lastError?: unknown };
  if (typeof o.status === "number") return o.status;
  if (typeof o.statusCode === "number") return o.statusCode;
  return o.lastError === undefined ? undefined : statusOf(o.lastError);
}

/** Makes the client's call with a key whose every call is blocked. */
export async function blockedCall(call: Call, apiKey: string): Promise<BlockOutcome> {
  const { fetch, attempts } = countingFetch();
  const err = await call(apiKey, fetch).then(
    () => null,
    (e: unknown) => e,
  );
  if (err === null) throw new Error("the blocked call succeeded");
  // The official SDKs leave `name` as "Error" and tell their classes apart by constructor.
  const name = err instanceof Error ? (err.name === "Error" ? err.constructor.name : err.name) : typeof err;
  const message = err instanceof Error ? err.message : String(err);
  return {
    attempts: attempts.length,
    raised: `${name} ${statusOf(err) ?? "?"}`,
    guardMessage: /Daily budget of \$[\d.]+ for tenant .+ reached/.test(message),
  };
}

/** Runs every client's blocked call at once (the AI SDK's backoff between retries is real time). */
export async function blockedCalls(apiKey: () => Promise<string>): Promise<Record<string, BlockOutcome>> {
  const entries = await Promise.all(
    Object.entries(BLOCK_CLIENTS).map(async ([name, call]) => [name, await blockedCall(call, await apiKey())] as const),
  );
  return Object.fromEntries(entries);
}
