/** Helpers to drive the worker over HTTP the way a client and an operator would. */
import { exports } from "cloudflare:workers";
import { vi } from "vitest";

export const ADMIN_TOKEN = "test-admin-token";
export const BASE = "https://guard.test";

/** Sends a request through the worker's fetch handler. */
export function call(path: string, init: RequestInit = {}): Promise<Response> {
  return exports.default.fetch(new Request(BASE + path, init));
}

/** An admin API call with the operator token (or the given credential). */
export function admin(method: string, path: string, body?: unknown, token = ADMIN_TOKEN): Promise<Response> {
  return call(`/admin/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

let seq = 0;
/** A tenant id unique to this test run. */
export function uniqueTenant(prefix = "t"): string {
  seq += 1;
  return `${prefix}-${Date.now().toString(36)}-${seq}`;
}

/** Creates a tenant with `config` and returns its id. */
export async function createTenant(config: Record<string, unknown> = {}, id = uniqueTenant()): Promise<string> {
  const res = await admin("PUT", `/tenants/${id}`, config);
  if (res.status !== 201 && res.status !== 200) throw new Error(`create tenant failed: ${res.status} ${await res.text()}`);
  return id;
}

/** Issues a key and returns the plaintext. */
export async function createKey(tenant: string, body: Record<string, unknown>): Promise<string> {
  const res = await admin("POST", `/tenants/${tenant}/keys`, body);
  if (res.status !== 201) throw new Error(`create key failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { key: string }).key;
}

/** A chat completion through the guard. */
export function chat(key: string, body: Record<string, unknown>, headers: Record<string, string> = {}): Promise<Response> {
  return call("/v1/chat/completions", {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
}

/** A recorded outbound request. */
export interface Outbound {
  url: string;
  method: string;
  headers: Headers;
  body: string;
}

/**
 * The outbound mock: replaces `fetch` in the worker's isolate (tests and the
 * worker share it) so provider calls are answered here and recorded; nothing
 * reaches the network.
 */
export function mockUpstream(handler: (req: Outbound) => Response | Promise<Response>) {
  const calls: Outbound[] = [];
  const spy = vi.spyOn(globalThis, "fetch").mockImplementation(async (input: RequestInfo | URL, init?: RequestInit) => {
    const req = new Request(input, init);
    const rec: Outbound = { url: req.url, method: req.method, headers: req.headers, body: await req.text() };
    calls.push(rec);
    return handler(rec);
  });
  return { calls, restore: () => spy.mockRestore() };
}

/** Waits until `check` passes (settlement runs in waitUntil, after the response). */
export async function eventually<T>(check: () => Promise<T>, timeoutMs = 5000): Promise<T> {
  const start = Date.now();
  let lastError: unknown;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      lastError = err;
      if (Date.now() - start > timeoutMs) throw lastError;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

/** A reserve request for calling the TenantLedger's RPC directly, with defaults for what a test does not care about. */
export function reserveRequest(
  keyHash: string,
  over: Partial<import("../../src/ledger/types").ReserveRequest> = {},
): import("../../src/ledger/types").ReserveRequest {
  return {
    requestId: crypto.randomUUID(),
    keyHash,
    userId: null,
    bodyUserId: null,
    feature: null,
    model: "mock-small",
    kind: "chat",
    inputTokens: 100,
    inputExact: true,
    requestedMaxTokens: 100,
    idempotent: false,
    finalMessageEligible: false,
    streaming: false,
    ...over,
  };
}
