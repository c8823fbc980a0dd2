/**
 * The guard's hot path for one allowed, locally decided, non-streaming chat
 * call, cut into the stages src/proxy/guard.ts and forward.ts run, in order.
 * Each stage is a closure over the outputs of the stages before it (computed
 * once by `prepare`), so it can be timed alone in a warm loop.
 */
import { Console } from "node:console";
import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { FEATURE, fakePort, guardEnv, requestOf, snapshot, upstreamAnswer } from "./fixture.mjs";

const devnull = new Console({ stdout: createWriteStream("/dev/null"), stderr: createWriteStream("/dev/null") });

/** Splits bytes into the 64 KiB chunks a request body stream delivers. */
function chunked(bytes) {
  const out = [];
  for (let i = 0; i < bytes.length; i += 65_536) out.push(bytes.subarray(i, i + 65_536));
  return out;
}

/** readBody's tail: concatenate the chunks, decode as UTF-8. */
function concatDecode(chunks) {
  let size = 0;
  for (const c of chunks) size += c.byteLength;
  const all = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.byteLength;
  }
  return new TextDecoder().decode(all);
}

/** Runs the pipeline once for `prompt` and returns every intermediate a stage needs. */
export async function prepare(m, prompt) {
  const { raw, bytes } = requestOf(prompt);
  const spec = m.chatRoute;
  const config = m.loadConfig(guardEnv({}));
  const key = m.generateKey("bench");
  const json = JSON.parse(raw);
  const body = spec.schema.parse(json);
  const target = m.routeModel(body.model, spec.route, config);
  const keyHash = await m.sha256Hex(key);
  const pieces = spec.input(body);
  const hints = m.billingHints(spec.route, body);
  const request = reserveRequest(m, spec, body, target, keyHash, pieces, hints);
  const subject = m.subjectKey("bench", keyHash, null, null, FEATURE);
  const now = Date.now();
  m.registry.get(subject).current = new m.HeldAllowance(snapshot(now), now);
  const port = fakePort(keyHash);
  const e = await m.edgeDecide(subject, request, port);
  if (!("local" in e)) throw new Error(`profile: the request did not decide locally (${e.normal.reason})`);
  const res = m.localResult(e.local, request.requestId);
  const capped = res.forwardMaxTokens !== undefined ? spec.withMaxTokens(body, res.forwardMaxTokens) : body;
  const outgoing = hints.rewrite ? hints.rewrite(capped) : capped;
  const answer = upstreamAnswer(bytes.length);
  const usage = m.openaiUsage.fromJson(spec.route, JSON.parse(answer));
  const rates = e.local.decision.rates;
  e.local.settle(usage, "ok");
  return {
    raw,
    bytes,
    chunks: chunked(bytes),
    spec,
    config,
    key,
    json,
    body,
    target,
    keyHash,
    pieces,
    hints,
    request,
    subject,
    port,
    res,
    outgoing,
    answer,
    usage,
    rates,
    snap: snapshot(now),
  };
}

/** The ReserveRequest exactly as guard.ts builds it for this call (no Idempotency-Key). */
export function reserveRequest(m, spec, body, target, keyHash, pieces, hints) {
  const inputBound = (t) => (t + hints.extraInputTokens) * hints.inputPasses;
  return {
    requestId: crypto.randomUUID(),
    keyHash,
    userId: null,
    bodyUserId: m.subjectId(spec.userOf(body), "user"),
    feature: m.subjectId(FEATURE, "X-Budget-Feature"),
    model: target.priceKey,
    kind: spec.kind,
    inputTokens: inputBound(m.fastInputTokens(pieces, target.encoding)),
    inputExact: false,
    requestedMaxTokens: spec.maxTokens(body),
    idempotent: false,
    finalMessageEligible: true,
    streaming: spec.stream(body),
    choices: spec.choices?.(body) ?? 1,
    audioInputTokens: pieces.audioTokens,
    unbounded: [...pieces.unbounded, ...hints.unbounded],
    toolCalls: hints.toolCalls,
    serviceTier: hints.serviceTier,
    cacheTtl: hints.cacheTtl,
    context: spec.context?.(body) ?? [],
    background: spec.background?.(body) ?? false,
    fingerprint: null,
  };
}

/**
 * The stages, in hot-path order. `fn` returns something (kept, so nothing is optimised away);
 * async stages return a promise and are awaited one at a time.
 */
export function stages(m, s) {
  const { spec } = s;
  const now = Date.now();
  return [
    { name: "body: concat chunks + TextDecoder", fn: () => concatDecode(s.chunks) },
    { name: "JSON.parse(request)", fn: () => JSON.parse(s.raw) },
    { name: "jsonDepthExceeds", fn: () => m.jsonDepthExceeds(s.json, m.MAX_JSON_DEPTH) },
    { name: "zod schema.safeParse", fn: () => spec.schema.safeParse(s.json) },
    {
      name: "routeModel + ids + stream",
      fn: () => [m.routeModel(s.body.model, spec.route, s.config), m.subjectId(FEATURE, "f"), spec.stream(s.body)],
    },
    { name: "sha256Hex(key)", async: true, fn: () => m.sha256Hex(s.key) },
    { name: "  of which the hash (node:crypto, sync)", sub: true, fn: () => createHash("sha256").update(s.key).digest("hex") },
    { name: "spec.input (chatInput)", fn: () => spec.input(s.body) },
    { name: "fastInputTokens", fn: () => m.fastInputTokens(s.pieces, s.target.encoding) },
    { name: "billingHints", fn: () => m.billingHints(spec.route, s.body) },
    { name: "ReserveRequest + bounds", fn: () => reserveRequestOnly(s) },
    {
      name: "edge: edgeDecide + localResult + settle",
      async: true,
      fn: async () => {
        const r = { ...s.request, requestId: crypto.randomUUID() };
        const e = await m.edgeDecide(s.subject, r, s.port);
        if (!("local" in e)) throw new Error(`profile: normal path (${e.normal.reason})`);
        const res = m.localResult(e.local, r.requestId);
        return e.local.settle(s.usage, "ok") + res.amount;
      },
    },
    { name: "  of which decideLocally alone", sub: true, fn: () => m.decideLocally(s.snap, { inflight: 0, pending: 0 }, s.request, now) },
    { name: "withMaxTokens + forUpstream + measureOf", fn: () => forwardPrep(m, s) },
    { name: "JSON.stringify(upstream body)", fn: () => JSON.stringify({ ...s.outgoing, model: s.target.upstreamModel }) },
    { name: "JSON.parse(answer) + fromJson", fn: () => m.openaiUsage.fromJson(spec.route, JSON.parse(s.answer)) },
    { name: "  of which usageCost", sub: true, fn: () => m.usageCost(s.usage, s.rates) },
    { name: "budget headers + Server-Timing", fn: () => budgetHeaders(m, s, now) },
    { name: "request log: build + stringify", fn: () => JSON.stringify(logLine(m, s)) },
    { name: "request log: console.log (to /dev/null)", fn: () => devnull.log(s.logText ?? (s.logText = JSON.stringify(logLine(m, s)))) },
  ];
}

function reserveRequestOnly(s) {
  const r = { ...s.request, unbounded: [...s.pieces.unbounded, ...s.hints.unbounded], context: [] };
  return {
    pieces: { ...s.pieces, unbounded: r.unbounded },
    context: r.context,
    toolCalls: r.toolCalls ?? {},
    cacheTtl: null,
    serviceTier: null,
    background: false,
  };
}

function forwardPrep(m, s) {
  const { spec, res, body } = s;
  const capped = res.forwardMaxTokens !== undefined ? spec.withMaxTokens(body, res.forwardMaxTokens) : body;
  const outgoing = s.hints.rewrite ? s.hints.rewrite(capped) : capped;
  const bounds = { pieces: s.pieces, context: [], toolCalls: {}, cacheTtl: null, serviceTier: null, background: false };
  const measure = m.measureOf(s.target, outgoing, bounds);
  const prepared = spec.forUpstream(outgoing, false);
  return [measure, prepared, spec.context?.(outgoing), spec.background?.(outgoing)];
}

function budgetHeaders(m, s, now) {
  const headers = new Headers(m.positionHeaders(s.res.tightest, now));
  const warning = m.warningHeader(s.res.warnings);
  if (warning) headers.set("X-Budget-Warning", warning);
  headers.set("Server-Timing", m.serverTiming({ guard: 0.412, ledger: 0, upstream: 1.234 }));
  headers.set("content-type", "application/json");
  headers.set("x-upstream-request-id", "req_bench1");
  return headers;
}

function logLine(m, s) {
  const log = new m.RequestLog("0b8f6a52-4b1e-4c9e-9a53-1f0c2d3e4f50", "chat", false);
  log.set({ tenant: "bench" });
  log.set({ model: s.body.model, provider: "bench", user: undefined, feature: FEATURE });
  log.set({
    decision: "allowed",
    code: undefined,
    user: "bench-user",
    feature: FEATURE,
    model: "gpt-4o-mini",
    provider: "bench",
    estimateUsd: s.res.amount / 1e6,
  });
  log.set({ status: 200, guardMs: 0.412, ledgerMs: 0, upstreamMs: 1.234 });
  log.set({ inputTokens: s.usage.inputTokens, outputTokens: 16, settlement: "ok" });
  // emit() builds this object and stringifies it; console.log is timed apart.
  return { level: "info", msg: "request", ...log.fields, settledUsd: 0.000123 };
}
