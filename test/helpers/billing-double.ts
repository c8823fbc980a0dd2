/**
 * A provider double that BILLS the way OpenAI and Anthropic document, for the
 * red-team suites (test/cost-ceilings). It answers OpenAI chat, Responses
 * (incl. background jobs, GET/cancel, previous_response_id, conversations,
 * stored prompts) and embeddings, and Anthropic Messages, JSON and SSE. It
 * behaves like a hostile model: output runs to the forwarded cap, or to the
 * model's maximum when the guard forwarded none, times `n`; reasoning models
 * bill hidden tokens; built-in tools run to their stated limit (else 10).
 * It reports the usage it billed (an honest provider) unless told to omit it,
 * cut the stream, or never answer. Everything it billed is in `calls` and
 * `bill()`; the guard's recorded spend must be at least that.
 */
import { expect, vi } from "vitest";
import { eventually, type Outbound } from "./guard";
import {
  billInput,
  chatInputMeter,
  embeddingsInputMeter,
  messagesInputMeter,
  ProviderRefusal,
  responsesInputMeter,
  type MeteredInput,
} from "./billing-input";
import { billOf, hidesReasoning, maxOutput, SEARCH_CONTENT_TOKENS, UNBOUNDED_TOOL_CALLS, type BilledUsage } from "./billing-meter";
import { jsonAnswer, responseObject, sseAnswer, type Answer, type StreamMode } from "./billing-wire";
import { ledger, today, upstreamSlot } from "./traffic";

export { pngDataUrl, pngBase64, pdfBase64, wavBase64, registerMedium } from "./billing-media";

type Route = Answer["route"];
type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** One request the provider received. */
export interface BilledCall {
  route: Route | "retrieve" | "cancel";
  model: string;
  url: string;
  headers: Headers;
  body: Json;
  /** What it billed (zero for a refused call or a background job still running). */
  usage: BilledUsage | null;
  costMicros: number;
  status: "billed" | "refused" | "pending";
  /** What the probe read when the call arrived (e.g. the tenant's reserved micro-USD). */
  reservedAtCall?: number;
}

/** How the double misbehaves, when a test wants it to. */
export interface DoubleOptions {
  /** "omit": no usage block anywhere (the provider still bills). */
  usage?: "report" | "omit";
  stream?: StreamMode;
  /** Never answers (until the guard aborts); the provider has started the work and bills it in full. */
  hang?: boolean;
  /** Read when each call arrives; stored in `reservedAtCall`. */
  probe?: () => Promise<number>;
  /** GETs a background job answers "in_progress" before completing (Infinity: never completes). */
  backgroundPolls?: number;
}

/** The installed double. */
export interface BillingDouble {
  calls: BilledCall[];
  /** Outbound requests as recorded by the shared slot (compatible with mockUpstream). */
  outbound: Outbound[];
  /** Total billed, micro-USD. */
  bill(): number;
  /** Calls that reached the provider's billing (anything but a retrieve of a job). */
  billed(): BilledCall[];
  /** Declares a conversation or stored prompt the provider holds (tokens billed as input when used). */
  state: { responses: Map<string, number>; conversations: Map<string, number>; prompts: Map<string, number> };
  restore(): void;
}

const ROUTES: [RegExp, Route][] = [
  [/\/chat\/completions$/, "chat"],
  [/\/responses$/, "responses"],
  [/\/embeddings$/, "embeddings"],
  [/\/messages$/, "messages"],
];

let seq = 0;

function refusal(route: Route | null, e: ProviderRefusal): Response {
  const body =
    route === "messages"
      ? { type: "error", error: { type: "invalid_request_error", message: e.message } }
      : { error: { message: e.message, type: "invalid_request_error", param: e.param, code: null } };
  return Response.json(body, { status: e.status });
}

function meter(route: Route, model: string, body: Json): MeteredInput {
  if (route === "chat") return chatInputMeter(model, body);
  if (route === "responses") return responsesInputMeter(model, body);
  if (route === "embeddings") return embeddingsInputMeter(body);
  return messagesInputMeter(body);
}

/** Built-in tool calls a hostile model makes: up to the stated limit, else {@link UNBOUNDED_TOOL_CALLS}. */
function toolCalls(route: Route, model: string, body: Json): Record<string, number> {
  const tools = Array.isArray(body.tools) ? body.tools.filter(isObj) : [];
  const out: Record<string, number> = {};
  if (route === "responses") {
    const web = tools.find((t) => typeof t.type === "string" && t.type.startsWith("web_search"));
    if (web) {
      // web_search_preview costs $25/1k on non-reasoning models, $10/1k (as web_search) on reasoning ones.
      const key = web.type === "web_search_preview" && !hidesReasoning(model) ? "web_search_preview" : "web_search";
      out[key] = typeof body.max_tool_calls === "number" ? body.max_tool_calls : UNBOUNDED_TOOL_CALLS;
    }
  } else if (route === "messages") {
    for (const t of tools) {
      if (typeof t.type === "string" && t.type.startsWith("web_search")) {
        out.web_search = (out.web_search ?? 0) + (typeof t.max_uses === "number" ? t.max_uses : UNBOUNDED_TOOL_CALLS);
      }
    }
  }
  return out;
}

function capOf(route: Route, body: Json): number | null {
  const v =
    route === "responses" ? body.max_output_tokens : route === "chat" ? (body.max_completion_tokens ?? body.max_tokens) : body.max_tokens;
  return typeof v === "number" ? v : null;
}

/** Installs the double as the worker's `fetch` (restored after the test by restoreAfterEach). */
export function billingDouble(opts: DoubleOptions = {}): BillingDouble {
  const calls: BilledCall[] = [];
  const outbound: Outbound[] = [];
  const state = { responses: new Map<string, number>(), conversations: new Map<string, number>(), prompts: new Map<string, number>() };
  const jobs = new Map<string, { answer: Answer; call: BilledCall; polls: number; context: (() => void) | null }>();

  const complete = (job: { answer: Answer; call: BilledCall; context: (() => void) | null }, cost: number) => {
    job.call.status = "billed";
    job.call.costMicros = cost;
    job.context?.();
  };

  async function handle(req: Request, signal: AbortSignal | null): Promise<Response> {
    const url = new URL(req.url);
    const text = req.method === "GET" ? "" : await req.text();
    outbound.push({ url: req.url, method: req.method, headers: req.headers, body: text });
    const reserved = opts.probe ? await opts.probe() : undefined;
    const jobMatch = url.pathname.match(/\/responses\/([^/]+)(\/cancel)?$/);
    if (jobMatch) {
      const job = jobs.get(jobMatch[1] ?? "");
      const rec: BilledCall = {
        route: jobMatch[2] ? "cancel" : "retrieve",
        model: "",
        url: req.url,
        headers: req.headers,
        body: {},
        usage: null,
        costMicros: 0,
        status: "billed",
      };
      calls.push(rec);
      if (!job)
        return Response.json(
          { error: { message: "No response found.", type: "invalid_request_error", param: null, code: null } },
          { status: 404 },
        );
      const cost = billOf(job.answer.model, job.answer.usage, "openai");
      if (jobMatch[2] || job.polls <= 0) {
        // Done (or cancelled after running: the provider bills the work it did, here all of it).
        if (job.call.status === "pending") complete(job, cost);
        return Response.json({ ...responseObject(job.answer), status: jobMatch[2] ? "cancelled" : "completed", background: true });
      }
      job.polls -= 1;
      return Response.json({ ...responseObject(job.answer), status: "in_progress", usage: null, output: [], background: true });
    }
    const route = ROUTES.find(([re]) => re.test(url.pathname))?.[1];
    if (!route) return new Response(`billing double: no route ${url.pathname}`, { status: 404 });
    const body = JSON.parse(text) as Json;
    const model = String(body.model);
    const rec: BilledCall = {
      route,
      model,
      url: req.url,
      headers: req.headers,
      body,
      usage: null,
      costMicros: 0,
      status: "refused",
      reservedAtCall: reserved,
    };
    calls.push(rec);
    try {
      const usage = await billInput(model, meter(route, model, body));
      // Stored context the provider holds is billed again as input on every call that uses it.
      let context = 0;
      const prev = body.previous_response_id;
      if (typeof prev === "string") {
        const t = state.responses.get(prev);
        if (t === undefined) throw new ProviderRefusal(`Previous response with id '${prev}' not found.`, "previous_response_id");
        context += t;
      }
      const conv = isObj(body.conversation) ? body.conversation.id : body.conversation;
      if (typeof conv === "string") {
        const t = state.conversations.get(conv);
        if (t === undefined) throw new ProviderRefusal(`Conversation '${conv}' not found.`, "conversation", 404);
        context += t;
      }
      const prompt = isObj(body.prompt) ? body.prompt.id : undefined;
      if (typeof prompt === "string") {
        const t = state.prompts.get(prompt);
        if (t === undefined) throw new ProviderRefusal(`Prompt '${prompt}' not found.`, "prompt", 404);
        context += t;
      }
      usage.inputTokens += context;
      if (route === "messages" && typeof body.max_tokens !== "number")
        throw new ProviderRefusal("max_tokens: Field required", "max_tokens");
      const choices = route === "chat" && typeof body.n === "number" ? body.n : 1;
      const per = route === "embeddings" ? 0 : (capOf(route, body) ?? maxOutput(model));
      const thinking = route === "messages" && isObj(body.thinking) && body.thinking.type === "enabled";
      const hidden = route !== "embeddings" && (hidesReasoning(model) || thinking);
      const visiblePerChoice = hidden ? Math.min(per, 8) : per;
      usage.outputTokens = per * choices;
      usage.reasoningTokens = (per - visiblePerChoice) * choices;
      usage.toolCalls = toolCalls(route, model, body);
      // A server-run tool loop samples the model once per call and once more at the end, each time
      // re-reading the prompt and the results so far: (s + 1) prompts plus R·s(s+1)/2 of results.
      const searches = (usage.toolCalls.web_search ?? 0) + (usage.toolCalls.web_search_preview ?? 0);
      usage.inputTokens = usage.inputTokens * (searches + 1) + (SEARCH_CONTENT_TOKENS * searches * (searches + 1)) / 2;
      const tier = body.service_tier;
      usage.serviceTier = route !== "messages" && (tier === "priority" || tier === "flex") ? tier : "default";
      rec.usage = usage;
      const id = route === "messages" ? `msg_d${++seq}` : route === "responses" ? `resp_d${++seq}` : `chatcmpl-d${++seq}`;
      const answer: Answer = {
        route,
        id,
        model,
        usage,
        visiblePerChoice,
        choices,
        reportUsage: opts.usage !== "omit",
        stream: body.stream === true,
        streamMode: opts.stream ?? "complete",
        signal,
      };
      const cost = billOf(model, usage, route === "messages" ? "anthropic" : "openai");
      const remember = () => {
        const total = usage.inputTokens + usage.cachedInputTokens + usage.audioInputTokens + usage.outputTokens;
        if (route === "responses" && body.store !== false) state.responses.set(id, total);
        // The conversation now holds everything so far: its old items (the context), this input and this output.
        if (typeof conv === "string") state.conversations.set(conv, total);
      };
      if (route === "responses" && body.background === true) {
        rec.status = "pending";
        jobs.set(id, { answer, call: rec, polls: opts.backgroundPolls ?? 1, context: remember });
        return Response.json({ ...responseObject(answer), status: "queued", usage: null, output: [], background: true });
      }
      rec.status = "billed";
      rec.costMicros = cost;
      remember();
      if (opts.hang) {
        return new Promise<Response>((_, reject) => {
          if (signal?.aborted) reject(signal.reason);
          signal?.addEventListener("abort", () => reject(signal.reason));
        });
      }
      return answer.stream ? sseAnswer(answer) : Response.json(jsonAnswer(answer), { headers: { "x-request-id": id } });
    } catch (err) {
      if (err instanceof ProviderRefusal) return refusal(route, err);
      throw err;
    }
  }

  const spy = vi.spyOn(globalThis, "fetch").mockImplementation((input: RequestInfo | URL, init?: RequestInit) => {
    const req = new Request(input, init);
    return handle(req, init?.signal ?? null);
  });
  const double: BillingDouble = {
    calls,
    outbound,
    state,
    bill: () => calls.reduce((n, c) => n + c.costMicros, 0),
    billed: () => calls.filter((c) => c.status === "billed" && c.usage !== null),
    restore: () => spy.mockRestore(),
  };
  upstreamSlot.current = { calls: outbound, restore: double.restore };
  return double;
}

/** Micro-USD of a USD amount. */
export const usd = (v: number) => Math.round(v * 1_000_000);

/** The tenant's counter for today once nothing is held any more (settlement runs in waitUntil). */
export async function settled(t: string, scope = "tenant") {
  return eventually(async () => {
    const c = await ledger(t).counter(scope, today());
    expect(c.reserved).toBe(0);
    return c;
  });
}

/**
 * The red-team verdict for one attack: either it was refused with a 4xx and
 * the provider saw nothing (and nothing is recorded), or the provider's real
 * bill is at most what the guard recorded and the recorded spend is within
 * the limit (plus `slackMicros`, only where the design allows estimate error).
 */
export async function expectHeld(
  t: string,
  double: BillingDouble,
  statuses: number[],
  limitMicros: number,
  slackMicros = 0,
): Promise<{ spent: number; bill: number }> {
  const c = await settled(t);
  const refused = statuses.filter((s) => s >= 400 && s < 500).length;
  if (refused === statuses.length) {
    expect(
      double.calls.filter((x) => x.route !== "retrieve"),
      "a refused call must never reach the provider",
    ).toEqual([]);
    expect(c.spent).toBe(0);
  }
  const bill = double.bill();
  expect(c.spent, `recorded ${c.spent} µUSD must cover the provider's bill ${bill} µUSD`).toBeGreaterThanOrEqual(bill);
  expect(c.spent, `recorded ${c.spent} µUSD must stay within the limit ${limitMicros} µUSD`).toBeLessThanOrEqual(limitMicros + slackMicros);
  return { spent: c.spent, bill };
}
