/**
 * The profile's request and world, as the bench sets them up: the chat body of
 * bench/prompts.mjs, the guard's env (a configured `bench` provider), a key of
 * tenant `bench` with feature `bench-feature`, the mock upstream's answer, and
 * an allowance snapshot like the one the tenant object grants a busy subject
 * (tenant, user and feature windows, daily and monthly, far from their limits).
 */
import { chatBody } from "../prompts.mjs";

export const MODEL = "bench/gpt-4o-mini";
export const FEATURE = "bench-feature";
export const MAX_TOKENS = 64;
const DAY = 86_400_000;

/** The mock upstream's non-streaming answer (bench/upstream.mjs), for a body of `bytes`. */
export function upstreamAnswer(bytes) {
  const p = Math.max(1, Math.ceil(bytes / 4));
  return (
    `{"id":"chatcmpl-bench1","object":"chat.completion","created":${Math.floor(Date.now() / 1000)},"model":"gpt-4o-mini",` +
    `"choices":[{"index":0,"message":{"role":"assistant","content":"This is a benchmark answer from the mock upstream, sixteen tokens long.","refusal":null},"logprobs":null,"finish_reason":"stop"}],` +
    `"usage":{"prompt_tokens":${p},"completion_tokens":16,"total_tokens":${p + 16},` +
    `"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}},` +
    `"service_tier":"default","system_fingerprint":"fp_bench"}`
  );
}

/** The request body as text and as the bytes the guard reads. */
export function requestOf(prompt) {
  const raw = chatBody(MODEL, prompt, MAX_TOKENS);
  return { raw, bytes: new TextEncoder().encode(raw) };
}

/** The guard's env (bindings as the bench passes them; the ledger is supplied by the caller). */
export function guardEnv(ledger) {
  return {
    ENVIRONMENT: "development",
    ADMIN_TOKEN: "profile-admin-token-0123456789abcdef",
    MOCK_PROVIDER: "off",
    PROVIDERS: JSON.stringify([{ name: "bench", baseUrl: "http://127.0.0.1:9/v1", keySecret: "BENCH_KEY" }]),
    BENCH_KEY: "sk-bench-not-a-real-key",
    ALLOWANCES: "auto",
    TENANT_LEDGER: ledger,
  };
}

/** An allowance snapshot for the bench subject, valid far into the future (so the loop never renews by age). */
export function snapshot(now) {
  const win = (kind, id, window, limit) => ({
    scope: { kind, id },
    window,
    key: window === "daily" ? "day:2026-12-01" : "month:2026-12",
    resetAt: now + 30 * DAY,
    limit,
    spent: 1_000_000,
    reserved: 0,
    softPct: 0.8,
  });
  const windows = [];
  for (const [kind, id] of [
    ["tenant", ""],
    ["user", "bench-user"],
    ["feature", FEATURE],
  ]) {
    windows.push(win(kind, id, "daily", 1_000_000_000_000), win(kind, id, "monthly", 10_000_000_000_000));
  }
  return {
    allowanceId: "al_profile",
    hold: 1_000_000_000_000,
    expiresAt: now + 30 * DAY,
    userId: "bench-user",
    feature: FEATURE,
    windows,
    models: {
      [MODEL]: { price: { input: 0.15, cachedInput: 0.075, output: 0.6 }, degradeTo: null, expectedOutput: 256, modelMax: 16_384 },
    },
    minOutputTokens: 16,
    maxRequestCost: null,
    forwardHeaders: [],
  };
}

/** The edge port the local path runs against: RPCs answered at once with a fresh grant, waitUntil swallowed. */
export function fakePort(keyHash) {
  return {
    acquire: async () => ({ grant: snapshot(Date.now()) }),
    flush: async () => ({ grant: snapshot(Date.now()) }),
    waitUntil: (p) => void Promise.resolve(p).catch(() => {}),
    keyHash,
    mode: "auto",
    now: () => Date.now(),
  };
}
