/**
 * Pieces of the client matrix (test/clients/): the worker's fetch handed to a
 * client SDK in place of the network, a fetch that counts the attempts that
 * reach the guard, a tenant with a key, and what the ledger settled.
 */
import { exports } from "cloudflare:workers";
import { expect } from "vitest";
import { createKey, createTenant, eventually } from "./guard";
import { ledger, today } from "./traffic";

/** Where the clients are pointed; the host never resolves, the worker's fetch handler answers. */
export const GUARD = "https://guard.test";

/** The worker's fetch handler, shaped like `fetch`. */
export function viaGuard(input: string | URL | Request, init?: RequestInit): Promise<Response> {
  return exports.default.fetch(new Request(input, init));
}

/** A `fetch` for a client that records each request it sends (method and path) before the guard answers it. */
export function countingFetch(): { fetch: typeof fetch; attempts: string[] } {
  const attempts: string[] = [];
  const f = (input: string | URL | Request, init?: RequestInit) => {
    const req = new Request(input, init);
    attempts.push(`${req.method} ${new URL(req.url).pathname}`);
    return exports.default.fetch(req);
  };
  return { fetch: f as typeof fetch, attempts };
}

/** A tenant with `config` and a user key; `blocked` gives it a limit no call fits. */
export async function clientTenant(config: Record<string, unknown> = { limits: { daily: 10 } }) {
  const t = await createTenant(config);
  return { t, key: await createKey(t, { name: "client", role: "user", userId: "client-user" }) };
}

/** A tenant whose every call is blocked, with the block status given or the default. */
export function blockedTenant(blockStatus?: 429 | 402) {
  return clientTenant({ limits: { daily: 0.000001 }, ...(blockStatus ? { blockStatus } : {}) });
}

/** What mock-small charges for these tokens, in micro-USD ($0.15/M input, $0.60/M output, rounded up once). */
export function mockSmallCost(inputTokens: number, outputTokens: number): number {
  return Math.ceil((inputTokens * 150_000 + outputTokens * 600_000) / 1_000_000);
}

/**
 * Waits for settlement and checks the tenant's daily counter: `requests` calls, nothing still reserved,
 * and spent equal to the usage the client reported (summed over the calls).
 */
export async function expectSettled(t: string, usage: { input: number; output: number }[]): Promise<void> {
  const spent = usage.reduce((s, u) => s + mockSmallCost(u.input, u.output), 0);
  await eventually(async () => {
    expect(await ledger(t).counter("tenant", today())).toEqual({ spent, reserved: 0, requests: usage.length });
  });
}

/** The marker that makes the mock answer with a call of `tool` (src/proxy/providers/mock-tools.ts). */
export const askForTool = (tool: string, text = "What is the weather in Paris?") => `${text} [[tool:${tool}]]`;
