/**
 * The dialects' usage readers on real-shaped payloads with every billed unit:
 * Anthropic cache writes by TTL, server-tool requests, tier and fast mode (JSON
 * and stream); OpenAI audio input and tier (chat), built-in tool items and tier
 * (Responses JSON and `response.completed`).
 */
import { describe, expect, it } from "vitest";
import { anthropicUsage } from "../../src/proxy/dialects/anthropic";
import { openaiUsage } from "../../src/proxy/dialects/openai";
import type { SseEvent } from "../../src/proxy/dialects/types";
import { sse } from "../fixtures/upstream";

function events(text: string): SseEvent[] {
  return text
    .split("\n\n")
    .filter((b) => b.trim() !== "")
    .map((b) => {
      const lines = b.split("\n");
      const ev = lines.find((l) => l.startsWith("event: "));
      const data = lines.filter((l) => l.startsWith("data: ")).map((l) => l.slice(6));
      return { event: ev ? ev.slice(7) : null, data: data.join("\n") };
    });
}

/** A Claude message that searched the web twice, fetched a page, ran code, and wrote the cache at both TTLs. */
const claudeUsage = {
  input_tokens: 2100,
  cache_creation_input_tokens: 3000,
  cache_read_input_tokens: 500,
  cache_creation: { ephemeral_5m_input_tokens: 1000, ephemeral_1h_input_tokens: 2000 },
  output_tokens: 640,
  server_tool_use: { web_search_requests: 2, web_fetch_requests: 1 },
  service_tier: "standard",
};
const claudeMessage = {
  id: "msg_01XFDUDYJgAACzvnptvVoYEL",
  type: "message",
  role: "assistant",
  model: "claude-sonnet-4-6",
  content: [
    { type: "server_tool_use", id: "srvtoolu_01A", name: "web_search", input: { query: "budget guard" } },
    { type: "web_search_tool_result", tool_use_id: "srvtoolu_01A", content: [] },
    { type: "server_tool_use", id: "srvtoolu_01B", name: "bash_code_execution", input: { command: "ls" } },
    { type: "bash_code_execution_tool_result", tool_use_id: "srvtoolu_01B", content: { type: "bash_code_execution_result", stdout: "", stderr: "", return_code: 0 } },
    { type: "text", text: "Done." },
  ],
  stop_reason: "end_turn",
  stop_sequence: null,
  usage: claudeUsage,
};
const claudeExpected = {
  inputTokens: 2100,
  cachedInputTokens: 500,
  cacheWriteTokens: 1000,
  cacheWrite1hTokens: 2000,
  outputTokens: 640,
  toolCalls: { web_search: 2, web_fetch: 1, code_execution: 1 },
  serviceTier: "standard",
};

describe("Anthropic usage", () => {
  it("reads TTL writes, server tools, code execution and tier from a message", () => {
    expect(anthropicUsage.fromJson("messages", claudeMessage)).toStrictEqual(claudeExpected);
  });

  it("counts every write as 5-minute when the TTL breakdown is absent, and reads fast mode", () => {
    const u = anthropicUsage.fromJson("messages", {
      ...claudeMessage,
      content: [{ type: "text", text: "hi" }],
      usage: { input_tokens: 10, cache_creation_input_tokens: 300, cache_read_input_tokens: 0, output_tokens: 5, speed: "fast", service_tier: "standard" },
    });
    expect(u).toStrictEqual({ inputTokens: 10, cachedInputTokens: 0, cacheWriteTokens: 300, outputTokens: 5, serviceTier: "fast" });
  });

  it("reads the same units from a stream, with message_delta restating the cumulative counts", () => {
    const text = sse([
      {
        event: "message_start",
        data: {
          type: "message_start",
          message: { ...claudeMessage, content: [], stop_reason: null, usage: { ...claudeUsage, output_tokens: 1, server_tool_use: { web_search_requests: 0 } } },
        },
      },
      { event: "content_block_start", data: { type: "content_block_start", index: 0, content_block: { type: "server_tool_use", id: "srvtoolu_01B", name: "code_execution", input: {} } } },
      { event: "content_block_stop", data: { type: "content_block_stop", index: 0 } },
      { event: "content_block_start", data: { type: "content_block_start", index: 1, content_block: { type: "text", text: "" } } },
      { event: "content_block_delta", data: { type: "content_block_delta", index: 1, delta: { type: "text_delta", text: "Done." } } },
      { event: "content_block_stop", data: { type: "content_block_stop", index: 1 } },
      {
        event: "message_delta",
        data: {
          type: "message_delta",
          delta: { stop_reason: "end_turn", stop_sequence: null },
          usage: { output_tokens: 640, server_tool_use: { web_search_requests: 2, web_fetch_requests: 1 } },
        },
      },
      { event: "message_stop", data: { type: "message_stop" } },
    ]);
    const t = anthropicUsage.tracker("messages", { hideUsageChunk: false });
    for (const e of events(text)) t.onEvent(e);
    expect(t.usage()).toStrictEqual(claudeExpected);
  });
});

describe("OpenAI usage", () => {
  it("reads audio input and the served tier from a chat completion", () => {
    const u = openaiUsage.fromJson("chat", {
      id: "chatcmpl-Audio1",
      object: "chat.completion",
      model: "gpt-4o-audio-preview-2025-06-03",
      choices: [{ index: 0, message: { role: "assistant", content: "Heard you." }, finish_reason: "stop" }],
      usage: {
        prompt_tokens: 1500,
        completion_tokens: 20,
        total_tokens: 1520,
        prompt_tokens_details: { cached_tokens: 0, audio_tokens: 1200 },
        completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0 },
      },
      service_tier: "priority",
    });
    expect(u).toStrictEqual({ inputTokens: 300, cachedInputTokens: 0, cacheWriteTokens: 0, audioInputTokens: 1200, outputTokens: 20, serviceTier: "priority" });
  });

  it("reads the tier from a chat stream's chunks", () => {
    const base = { id: "chatcmpl-X", object: "chat.completion.chunk", model: "gpt-5", service_tier: "flex" };
    const text = sse([
      { data: { ...base, choices: [{ index: 0, delta: { role: "assistant", content: "Hi" }, finish_reason: null }] } },
      { data: { ...base, choices: [{ index: 0, delta: {}, finish_reason: "stop" }] } },
      { data: { ...base, choices: [], usage: { prompt_tokens: 40, completion_tokens: 90, prompt_tokens_details: { cached_tokens: 0 } } } },
      { data: "[DONE]" },
    ]);
    const t = openaiUsage.tracker("chat", { hideUsageChunk: false });
    for (const e of events(text)) t.onEvent(e);
    expect(t.usage()).toMatchObject({ inputTokens: 40, outputTokens: 90, serviceTier: "flex" });
  });

  const response = {
    id: "resp_67ccd2bed1ec8190b14f964abc0542670bb6a6b452d3795b",
    object: "response",
    status: "completed",
    model: "gpt-5.4",
    service_tier: "default",
    output: [
      { type: "reasoning", id: "rs_1", summary: [] },
      { type: "web_search_call", id: "ws_1", status: "completed", action: { type: "search", query: "a" } },
      { type: "web_search_call", id: "ws_2", status: "completed", action: { type: "search", query: "b" } },
      { type: "file_search_call", id: "fs_1", status: "completed", queries: ["q"], results: null },
      { type: "code_interpreter_call", id: "ci_1", status: "completed", code: "1+1", container_id: "cntr_A", outputs: null },
      { type: "code_interpreter_call", id: "ci_2", status: "completed", code: "2+2", container_id: "cntr_A", outputs: null },
      { type: "message", id: "msg_1", role: "assistant", content: [{ type: "output_text", text: "Done.", annotations: [] }] },
    ],
    usage: {
      input_tokens: 9000,
      input_tokens_details: { cached_tokens: 1000, cache_write_tokens: 2000 },
      output_tokens: 700,
      output_tokens_details: { reasoning_tokens: 500 },
      total_tokens: 9700,
    },
  };
  const expected = {
    inputTokens: 6000,
    cachedInputTokens: 1000,
    cacheWriteTokens: 2000,
    outputTokens: 700,
    serviceTier: "default",
    toolCalls: { web_search: 2, file_search: 1, code_interpreter: 1 },
  };

  it("counts built-in tool items and reads cache writes and the tier from a response", () => {
    expect(openaiUsage.fromJson("responses", response)).toStrictEqual(expected);
  });

  it("reads the same from the response.completed event of a stream", () => {
    const text = sse([
      { event: "response.created", data: { type: "response.created", response: { ...response, status: "in_progress", output: [], usage: null } } },
      { event: "response.output_text.delta", data: { type: "response.output_text.delta", item_id: "msg_1", output_index: 6, content_index: 0, delta: "Done." } },
      { event: "response.completed", data: { type: "response.completed", response } },
    ]);
    const t = openaiUsage.tracker("responses", { hideUsageChunk: false });
    for (const e of events(text)) t.onEvent(e);
    expect(t.usage()).toStrictEqual(expected);
  });
});
