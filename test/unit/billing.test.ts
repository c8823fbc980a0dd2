import { describe, expect, it } from "vitest";
import {
  billingHints,
  DEFAULT_FETCH_CONTENT_TOKENS,
  DEFAULT_MAX_TOOL_CALLS,
  DEFAULT_MAX_USES,
  SEARCH_CONTENT_TOKENS,
} from "../../src/proxy/billing";

const claude = (extra: Record<string, unknown>) => ({
  model: "claude-sonnet-4-6",
  max_tokens: 1024,
  messages: [{ role: "user", content: "What changed in the budget law?" }],
  ...extra,
});
const responses = (extra: Record<string, unknown>) => ({ model: "gpt-5.4", input: "What changed?", ...extra });

describe("billingHints: Claude Messages", () => {
  it.each([
    ["no tools", {}, {}, 0],
    [
      "web search with max_uses",
      { tools: [{ type: "web_search_20250305", name: "web_search", max_uses: 3 }] },
      { web_search: 3 },
      3 * SEARCH_CONTENT_TOKENS,
    ],
    [
      "web fetch with both limits",
      { tools: [{ type: "web_fetch_20250910", name: "web_fetch", max_uses: 2, max_content_tokens: 1000 }] },
      { web_fetch: 2 },
      2000,
    ],
    [
      "a 2026-02-09 web tool makes code execution free",
      { tools: [{ type: "web_search_20260209", name: "web_search", max_uses: 1 }] },
      { web_search: 1, code_execution_with_web: 1 },
      SEARCH_CONTENT_TOKENS,
    ],
    [
      "client tools and custom tools bill nothing",
      { tools: [{ name: "lookup", input_schema: { type: "object" } }, { type: "bash_20250124", name: "bash" }, { type: "text_editor_20250728", name: "str_replace_based_edit_tool" }] },
      {},
      0,
    ],
  ])("%s", (_n, extra, toolCalls, extraInput) => {
    const h = billingHints("messages", claude(extra));
    expect(h.toolCalls).toStrictEqual(toolCalls);
    expect(h.extraInputTokens).toBe(extraInput);
    expect(h.unpriced).toStrictEqual([]);
    expect(h.unbounded).toStrictEqual([]);
    expect(h.rewrite).toBeUndefined();
  });

  it("sets max_uses (and max_content_tokens on fetch) when the request sets none, and bounds by them", () => {
    const tools = [
      { type: "web_search_20250305", name: "web_search" },
      { type: "web_fetch_20250910", name: "web_fetch" },
      { name: "lookup", input_schema: { type: "object" } },
    ];
    const body = claude({ tools });
    const h = billingHints("messages", body);
    expect(h.toolCalls).toStrictEqual({ web_search: DEFAULT_MAX_USES, web_fetch: DEFAULT_MAX_USES });
    expect(h.extraInputTokens).toBe(DEFAULT_MAX_USES * SEARCH_CONTENT_TOKENS + DEFAULT_MAX_USES * DEFAULT_FETCH_CONTENT_TOKENS);
    expect(h.inputPasses).toBe(1 + 2 * DEFAULT_MAX_USES);
    const forwarded = h.rewrite!(body);
    expect(forwarded.tools).toStrictEqual([
      { type: "web_search_20250305", name: "web_search", max_uses: DEFAULT_MAX_USES },
      { type: "web_fetch_20250910", name: "web_fetch", max_uses: DEFAULT_MAX_USES, max_content_tokens: DEFAULT_FETCH_CONTENT_TOKENS },
      { name: "lookup", input_schema: { type: "object" } },
    ]);
    expect(tools[0]).not.toHaveProperty("max_uses"); // the client's body is not mutated
    expect(billingHints("messages", forwarded).rewrite).toBeUndefined();
  });

  it("refuses what it cannot price or bound, naming the part", () => {
    const h = billingHints("messages", claude({ tools: [{ type: "tool_search_tool_regex_20251119", name: "tool_search" }, { type: "code_execution_20250825", name: "code_execution" }], mcp_servers: [{ type: "url", url: "https://mcp.example.com/sse", name: "x" }] }));
    expect(h.unpriced).toStrictEqual([expect.stringMatching(/^tools\[0\]: server tool "tool_search_tool_regex_20251119"/)]);
    expect(h.unbounded).toStrictEqual([expect.stringMatching(/^mcp_servers: /), expect.stringMatching(/^tools\[1\]: code execution/)]);
    expect(h.toolCalls).toStrictEqual({ code_execution: 1 });
  });

  it.each([
    ["no cache_control", {}, null],
    ["a 5-minute breakpoint in the system prompt", { system: [{ type: "text", text: "s", cache_control: { type: "ephemeral" } }] }, "5m"],
    [
      "a 1-hour breakpoint deep in a message",
      { messages: [{ role: "user", content: [{ type: "text", text: "a" }, { type: "tool_result", tool_use_id: "t", content: [{ type: "text", text: "b", cache_control: { type: "ephemeral", ttl: "1h" } }] }] }] },
      "1h",
    ],
    ["a 1-hour breakpoint on a tool", { tools: [{ name: "t", input_schema: {}, cache_control: { type: "ephemeral", ttl: "1h" } }] }, "1h"],
    ["top-level automatic caching", { cache_control: { type: "ephemeral" } }, "5m"],
  ])("cache TTL: %s", (_n, extra, ttl) => expect(billingHints("messages", claude(extra)).cacheTtl).toBe(ttl));

  it.each([
    [{}, null],
    [{ service_tier: "auto" }, "auto"],
    [{ service_tier: "standard_only" }, "standard_only"],
    [{ speed: "fast" }, "fast"],
  ])("tier of %j is %s", (extra, tier) => expect(billingHints("messages", claude(extra)).serviceTier).toBe(tier));
});

describe("billingHints: Responses", () => {
  it.each([
    ["web_search, capped", { tools: [{ type: "web_search" }], max_tool_calls: 3 }, { web_search: 3 }, 3 * SEARCH_CONTENT_TOKENS],
    ["web_search_preview on a reasoning model", { tools: [{ type: "web_search_preview" }], max_tool_calls: 2 }, { web_search_preview: 2 }, 2 * SEARCH_CONTENT_TOKENS],
    [
      "file search bounded by its results",
      { tools: [{ type: "file_search", vector_store_ids: ["vs_1"], max_num_results: 4 }], max_tool_calls: 2 },
      { file_search: 2 },
      2 * 4 * 4096,
    ],
    [
      "web and file search share max_tool_calls; fees at the dearest",
      { tools: [{ type: "file_search", vector_store_ids: ["vs_1"], max_num_results: 1 }, { type: "web_search" }], max_tool_calls: 4 },
      { web_search: 4 },
      4 * SEARCH_CONTENT_TOKENS,
    ],
    [
      "code interpreter bills one container, by its size",
      { tools: [{ type: "code_interpreter", container: { type: "auto", memory_limit: "4g" } }], max_tool_calls: 2 },
      { code_interpreter_4g: 1 },
      2 * SEARCH_CONTENT_TOKENS,
    ],
    ["function tools bill nothing", { tools: [{ type: "function", name: "f", parameters: {} }] }, {}, 0],
  ])("%s", (_n, extra, toolCalls, extraInput) => {
    const h = billingHints("responses", responses(extra));
    expect(h.toolCalls).toStrictEqual(toolCalls);
    expect(h.extraInputTokens).toBe(extraInput);
    expect(h.unpriced).toStrictEqual([]);
    expect(h.rewrite).toBeUndefined();
  });

  it("adds max_tool_calls when a built-in tool is declared without it", () => {
    const body = responses({ tools: [{ type: "web_search" }] });
    const h = billingHints("responses", body);
    expect(h.toolCalls).toStrictEqual({ web_search: DEFAULT_MAX_TOOL_CALLS });
    expect(h.rewrite!(body)).toStrictEqual({ ...body, max_tool_calls: DEFAULT_MAX_TOOL_CALLS });
    expect(h.inputPasses).toBe(1 + DEFAULT_MAX_TOOL_CALLS);
  });

  it("names built-in tools without a fee as unpriced and MCP as unbounded", () => {
    const h = billingHints("responses", responses({ tools: [{ type: "image_generation" }, { type: "mcp", server_label: "x", server_url: "https://x" }], service_tier: "priority" }));
    expect(h.unpriced).toStrictEqual([expect.stringContaining('tools[0]: built-in tool "image_generation"')]);
    expect(h.unbounded).toStrictEqual([expect.stringContaining("tools[1]: remote MCP")]);
    expect(h.serviceTier).toBe("priority");
  });
});

describe("billingHints: chat and embeddings", () => {
  it.each([
    [{}, 1],
    [{ n: 4 }, 4],
    [{ n: 0 }, 1],
    [{ n: "3" }, 1],
  ])("choices of %j is %d", (extra, n) => expect(billingHints("chat", { model: "gpt-4o", messages: [], ...extra }).choices).toBe(n));

  it("reads the tier and refuses units it does not price", () => {
    const h = billingHints("chat", { model: "gpt-4o", messages: [], service_tier: "flex", web_search_options: {}, modalities: ["text", "audio"] });
    expect(h.serviceTier).toBe("flex");
    expect(h.unpriced).toHaveLength(2);
  });

  it("refuses audio parts on a table model with no audio price, and allows them on an audio model", () => {
    const audio = { role: "user", content: [{ type: "text", text: "What is said?" }, { type: "input_audio", input_audio: { data: "UklGRg==", format: "wav" } }] };
    expect(billingHints("chat", { model: "gpt-4o-mini", messages: [audio] }).unpriced).toStrictEqual([
      expect.stringMatching(/^messages\[0\]\.content\[1\]: audio input on gpt-4o-mini/),
    ]);
    expect(billingHints("chat", { model: "gpt-4o-audio-preview", messages: [audio] }).unpriced).toStrictEqual([]);
    // A model the table does not know is priced by the tenant; the ledger decides.
    expect(billingHints("chat", { model: "my-model", messages: [audio] }).unpriced).toStrictEqual([]);
  });

  it("embeddings carry no hints", () => {
    expect(billingHints("embeddings", { model: "text-embedding-3-small", input: "x" })).toMatchObject({ choices: 1, toolCalls: {}, serviceTier: null });
  });
});
