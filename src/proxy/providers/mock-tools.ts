/**
 * The mock provider's tool calls, so a client's tool loop can be exercised
 * offline. The mock answers with a call of a tool the request offers when the
 * latest turn is the user's (not a tool result) and the request asks for one:
 *
 * - the marker `[[tool:<name>]]` (or `[[tool:<name> {"json": "args"}]]`) in the
 *   last user message, or the request header `x-mock-tool-call: <name>`;
 * - else a tool choice that forces a tool (`{type: "function", …}`, Anthropic's
 *   `{type: "tool"}`), or requires one (`required` / `any`: the first tool).
 *
 * Arguments are the marker's JSON, else a value for each required property of
 * the tool's JSON schema. The turn that carries the tool's result gets the
 * mock's ordinary text answer. Shapes: OpenAI chat, Responses, Anthropic
 * Messages and Gemini generateContent (`functionDeclarations`, `toolConfig`
 * mode `ANY` / `NONE`), streamed and not; usage is reported as for a text answer.
 */
import type { Encoding } from "../../pricing/types";
import { countTokensExact } from "../../tokens/exact";
import type { RouteKind } from "./types";

type Obj = Record<string, unknown>;

/** A tool call the mock decided to make. */
export interface MockToolCall {
  name: string;
  /** The arguments as a JSON string, the way the providers send them. */
  arguments: string;
}

/** What the mock sends: a JSON body or a list of server-sent events. */
export type MockReply = { body: unknown } | { events: { event?: string; data: unknown }[] };

/** The call's facts the reply needs (from the mock's own request handling). */
export interface ToolReplyContext {
  route: RouteKind;
  model: string;
  stream: boolean;
  body: Obj;
  id: string;
  created: number;
  inputTokens: number;
  withUsage: boolean;
  encoding: Encoding;
}

const MARKER = /\[\[tool:([A-Za-z0-9_.-]{1,64})(\s+\{[\s\S]*?\})?\]\]/;

const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** Tool name → JSON schema of its arguments, for the function tools a request offers. */
function offeredTools(route: RouteKind, body: Obj): Map<string, Obj> {
  const out = new Map<string, Obj>();
  if (!Array.isArray(body.tools)) return out;
  for (const t of body.tools) {
    if (!isObj(t)) continue;
    if (route === "chat" && t.type === "function" && isObj(t.function) && typeof t.function.name === "string")
      out.set(t.function.name, isObj(t.function.parameters) ? t.function.parameters : {});
    if (route === "responses" && t.type === "function" && typeof t.name === "string")
      out.set(t.name, isObj(t.parameters) ? t.parameters : {});
    if (route === "messages" && typeof t.name === "string" && (t.type === undefined || t.type === "custom"))
      out.set(t.name, isObj(t.input_schema) ? t.input_schema : {});
    if (route === "generateContent" && Array.isArray(t.functionDeclarations))
      for (const d of t.functionDeclarations)
        if (isObj(d) && typeof d.name === "string")
          out.set(d.name, isObj(d.parameters) ? d.parameters : isObj(d.parametersJsonSchema) ? d.parametersJsonSchema : {});
  }
  return out;
}

function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content.map((p) => (isObj(p) && typeof p.text === "string" ? p.text : "")).join("\n");
}

/** The text of the last turn when it is the user's; null when the last turn is a tool result (or absent). */
function lastUserText(route: RouteKind, body: Obj): string | null {
  if (route === "responses" && typeof body.input === "string") return body.input;
  if (route === "generateContent") {
    const last: unknown = Array.isArray(body.contents) ? body.contents[body.contents.length - 1] : undefined;
    if (!isObj(last) || (last.role !== undefined && last.role !== "user") || !Array.isArray(last.parts)) return null;
    return last.parts.some((p) => isObj(p) && p.functionResponse !== undefined) ? null : textOf(last.parts);
  }
  const list = route === "responses" ? body.input : body.messages;
  if (!Array.isArray(list)) return null;
  const last: unknown = list[list.length - 1];
  if (!isObj(last) || last.role !== "user") return null;
  if (route === "messages" && Array.isArray(last.content) && last.content.some((b) => isObj(b) && b.type === "tool_result")) return null;
  return textOf(last.content);
}

/** The tool a tool choice forces or requires, if any; `false` when it forbids tools. */
function choiceTool(route: RouteKind, choice: unknown, tools: Map<string, Obj>): string | null | false {
  const first = tools.keys().next().value ?? null;
  if (route === "generateContent") {
    const cfg = isObj(choice) && isObj(choice.functionCallingConfig) ? choice.functionCallingConfig : {};
    const allowed =
      Array.isArray(cfg.allowedFunctionNames) && typeof cfg.allowedFunctionNames[0] === "string" ? cfg.allowedFunctionNames[0] : first;
    return cfg.mode === "NONE" ? false : cfg.mode === "ANY" ? allowed : null;
  }
  if (choice === "none" || (isObj(choice) && choice.type === "none")) return false;
  if (choice === "required" || (isObj(choice) && choice.type === "any")) return first;
  if (!isObj(choice)) return null;
  if (route === "chat" && choice.type === "function" && isObj(choice.function) && typeof choice.function.name === "string")
    return choice.function.name;
  if (route === "responses" && choice.type === "function" && typeof choice.name === "string") return choice.name;
  if (route === "messages" && choice.type === "tool" && typeof choice.name === "string") return choice.name;
  return null;
}

/** A value that satisfies a JSON schema's type, for arguments nobody spelled out. */
function sample(schema: unknown): unknown {
  if (!isObj(schema)) return "mock";
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  if ("const" in schema) return schema.const;
  const variants = schema.anyOf ?? schema.oneOf;
  if (Array.isArray(variants) && variants.length > 0) return sample(variants[0]);
  const raw: unknown = Array.isArray(schema.type) ? schema.type.find((t) => t !== "null") : schema.type;
  // Gemini's schemas spell types in capitals (STRING, OBJECT).
  switch (typeof raw === "string" ? raw.toLowerCase() : raw) {
    case "number":
    case "integer":
      return typeof schema.minimum === "number" ? schema.minimum : 1;
    case "boolean":
      return true;
    case "null":
      return null;
    case "array":
      return [];
    case "object":
      return sampleObject(schema);
    default:
      return isObj(schema.properties) ? sampleObject(schema) : "mock";
  }
}

function sampleObject(schema: Obj): Obj {
  const props = isObj(schema.properties) ? schema.properties : {};
  const required = Array.isArray(schema.required) ? schema.required.filter((r): r is string => typeof r === "string") : [];
  return Object.fromEntries(required.map((k) => [k, sample(props[k])]));
}

/** The tool call this request asks the mock for, or null for a text answer. */
export function wantedToolCall(route: RouteKind, body: Obj, headers: Headers): MockToolCall | null {
  if (route === "embeddings" || route === "embedContent") return null;
  const tools = offeredTools(route, body);
  const userText = lastUserText(route, body);
  if (tools.size === 0 || userText === null) return null;
  const forced = choiceTool(route, route === "generateContent" ? body.toolConfig : body.tool_choice, tools);
  if (forced === false) return null;
  const marker = MARKER.exec(userText);
  const name = headers.get("x-mock-tool-call") ?? marker?.[1] ?? forced;
  if (name === null || !tools.has(name)) return null;
  let args: unknown = marker?.[1] === name && marker[2] ? safeJson(marker[2]) : undefined;
  if (!isObj(args)) args = sample({ type: "object", ...tools.get(name) });
  return { name, arguments: JSON.stringify(args) };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Splits the arguments the way providers stream them: a few characters per event. */
const pieces = (s: string) => s.match(/.{1,16}/gs) ?? [s];

/** The mock's answer carrying `tool`, in the route's shape. */
export async function toolCallReply(c: ToolReplyContext, tool: MockToolCall): Promise<MockReply> {
  const outputTokens = await countTokensExact(
    tool.name + tool.arguments,
    c.encoding === "claude_approx" || c.encoding === "gemini_approx" ? "cl100k_base" : c.encoding,
  );
  const callId = `call_${c.id}`;
  switch (c.route) {
    case "responses":
      return responsesReply(c, tool, callId, outputTokens);
    case "messages":
      return messagesReply(c, tool, outputTokens);
    case "generateContent":
      return geminiReply(c, tool, outputTokens);
    default:
      return chatReply(c, tool, callId, outputTokens);
  }
}

function chatReply(c: ToolReplyContext, tool: MockToolCall, callId: string, outputTokens: number): MockReply {
  const usage = { prompt_tokens: c.inputTokens, completion_tokens: outputTokens, total_tokens: c.inputTokens + outputTokens };
  const base = { id: `chatcmpl-${c.id}`, created: c.created, model: c.model, system_fingerprint: "fp_mock" };
  const call = { id: callId, type: "function", function: { name: tool.name, arguments: tool.arguments } };
  if (!c.stream) {
    const message = { role: "assistant", content: null, refusal: null, tool_calls: [call] };
    const choices = [{ index: 0, message, logprobs: null, finish_reason: "tool_calls" }];
    return { body: { ...base, object: "chat.completion", choices, ...(c.withUsage ? { usage } : {}) } };
  }
  const chunk = (delta: Obj, finish: string | null) => ({
    data: {
      ...base,
      object: "chat.completion.chunk",
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
      ...(c.body.stream_options ? { usage: null } : {}),
    },
  });
  const includeUsage = isObj(c.body.stream_options) && c.body.stream_options.include_usage === true;
  return {
    events: [
      chunk({ role: "assistant", content: null, tool_calls: [{ index: 0, ...call, function: { name: tool.name, arguments: "" } }] }, null),
      ...pieces(tool.arguments).map((p) => chunk({ tool_calls: [{ index: 0, function: { arguments: p } }] }, null)),
      chunk({}, "tool_calls"),
      ...(includeUsage && c.withUsage ? [{ data: { ...base, object: "chat.completion.chunk", choices: [], usage } }] : []),
      { data: "[DONE]" },
    ],
  };
}

function responsesReply(c: ToolReplyContext, tool: MockToolCall, callId: string, outputTokens: number): MockReply {
  const usage = {
    input_tokens: c.inputTokens,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: outputTokens,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: c.inputTokens + outputTokens,
  };
  const item = {
    type: "function_call",
    id: `fc_${c.id}`,
    call_id: callId,
    name: tool.name,
    arguments: tool.arguments,
    status: "completed",
  };
  const response = (status: string, done: boolean) => ({
    id: `resp_${c.id}`,
    object: "response",
    created_at: c.created,
    status,
    model: c.model,
    output: done ? [item] : [],
    incomplete_details: null,
    usage: done && c.withUsage ? usage : null,
  });
  if (!c.stream) return { body: response("completed", true) };
  let seq = 0;
  const ev = (type: string, data: Obj) => ({ event: type, data: { type, sequence_number: seq++, ...data } });
  const at = { item_id: item.id, output_index: 0 };
  return {
    events: [
      ev("response.created", { response: response("in_progress", false) }),
      ev("response.output_item.added", { output_index: 0, item: { ...item, arguments: "", status: "in_progress" } }),
      ...pieces(tool.arguments).map((p) => ev("response.function_call_arguments.delta", { ...at, delta: p })),
      ev("response.function_call_arguments.done", { ...at, name: tool.name, arguments: tool.arguments }),
      ev("response.output_item.done", { output_index: 0, item }),
      ev("response.completed", { response: response("completed", true) }),
    ],
  };
}

function messagesReply(c: ToolReplyContext, tool: MockToolCall, outputTokens: number): MockReply {
  const usage = { input_tokens: c.inputTokens, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: outputTokens };
  const msg = { id: `msg_${c.id}`, type: "message", role: "assistant", model: c.model, stop_sequence: null };
  const block = { type: "tool_use", id: `toolu_${c.id}`, name: tool.name };
  if (!c.stream) {
    const content = [{ ...block, input: JSON.parse(tool.arguments) as unknown }];
    return { body: { ...msg, content, stop_reason: "tool_use", ...(c.withUsage ? { usage } : {}) } };
  }
  const e = (event: string, data: Obj) => ({ event, data: { type: event, ...data } });
  return {
    events: [
      e("message_start", { message: { ...msg, content: [], stop_reason: null, usage: { ...usage, output_tokens: 1 } } }),
      e("content_block_start", { index: 0, content_block: { ...block, input: {} } }),
      ...pieces(tool.arguments).map((p) => e("content_block_delta", { index: 0, delta: { type: "input_json_delta", partial_json: p } })),
      e("content_block_stop", { index: 0 }),
      e("message_delta", {
        delta: { stop_reason: "tool_use", stop_sequence: null },
        usage: c.withUsage ? { output_tokens: outputTokens } : {},
      }),
      e("message_stop", {}),
    ],
  };
}

/** Gemini sends a function call whole, in one candidate part; a stream is one event carrying it. */
function geminiReply(c: ToolReplyContext, tool: MockToolCall, outputTokens: number): MockReply {
  const body = {
    candidates: [
      {
        content: { role: "model", parts: [{ functionCall: { name: tool.name, args: JSON.parse(tool.arguments) as unknown } }] },
        finishReason: "STOP",
        index: 0,
      },
    ],
    ...(c.withUsage
      ? {
          usageMetadata: {
            promptTokenCount: c.inputTokens,
            candidatesTokenCount: outputTokens,
            totalTokenCount: c.inputTokens + outputTokens,
          },
        }
      : {}),
    modelVersion: c.model,
    responseId: c.id,
  };
  return c.stream ? { events: [{ data: body }] } : { body };
}
