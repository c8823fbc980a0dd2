/** Shared pieces of the trust suites: a tenant with a user key, calls with env overrides, request builders. */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, vi } from "vitest";
import { windowsAt } from "../../src/budget/windows";
import worker from "../../src/index";
import { createKey, createTenant, mockUpstream } from "./guard";

export const today = () => windowsAt(Date.now()).daily.key;
export const ledger = (t: string) => env.TENANT_LEDGER.getByName(t);
export const hello = { messages: [{ role: "user", content: "Hello" }] };
export const ZERO = { spent: 0, reserved: 0, requests: 0 };

/** The outbound mock of the current test, restored after each test of a suite that calls {@link restoreAfterEach}. */
export const upstreamSlot: { current: ReturnType<typeof mockUpstream> | undefined } = { current: undefined };

/** Registers the per-test cleanup: the outbound mock and every spy. */
export function restoreAfterEach(): void {
  afterEach(() => {
    upstreamSlot.current?.restore();
    upstreamSlot.current = undefined;
    vi.restoreAllMocks();
  });
}

/** Installs an outbound mock for this test (restored after it). */
export function useUpstream(handler: Parameters<typeof mockUpstream>[0]): ReturnType<typeof mockUpstream> {
  const spy = mockUpstream(handler);
  upstreamSlot.current = spy;
  return spy;
}

/** A tenant with `config` and a user key bound to user `u`. */
export async function setup(config: Record<string, unknown> = { limits: { daily: 10 } }) {
  const t = await createTenant(config);
  return { t, key: await createKey(t, { name: "k", role: "user", userId: "u" }) };
}

/** Calls the worker with some env values replaced, and waits for its waitUntil work. */
export async function withEnv(overrides: Record<string, unknown>, path: string, init: RequestInit): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(`https://guard.test${path}`, init), { ...env, ...overrides } as typeof env, ctx);
  const body = await res.text();
  await waitOnExecutionContext(ctx);
  return new Response(body, { status: res.status, headers: res.headers });
}

/** A POST to an LLM route with a guard key. */
export function post(
  key: string,
  body: unknown,
  headers: Record<string, string> = {},
  path = "/v1/chat/completions",
): RequestInit & { path: string } {
  return {
    path,
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  };
}
