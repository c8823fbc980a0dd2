/** Shared pieces of the allowance suites: a busy subject in this isolate, and how to see which path decided. */
import { env } from "cloudflare:workers";
import { expect } from "vitest";
import { chat } from "../helpers/guard";

export const hello = { messages: [{ role: "user", content: "Hello" }] };
export const ledger = (t: string) => env.TENANT_LEDGER.getByName(t);
export const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One chat call of the busy subject; the body is read so the call is complete. */
export async function one(key: string, headers: Record<string, string> = {}): Promise<Response> {
  const res = await chat(key, { model: "mock-small", ...hello, max_tokens: 50 }, headers);
  await res.clone().text();
  return res;
}

/**
 * Makes the subject busy until a request is decided at the edge: one that
 * made no RPC to the tenant object (its `stats()` did not move). Returns how
 * many requests it took.
 */
export async function untilLocal(t: string, key: string, headers: Record<string, string> = {}): Promise<number> {
  for (let i = 1; i <= 60; i++) {
    const before = (await ledger(t).stats()).rpcs;
    expect((await one(key, headers)).status).toBe(200);
    if ((await ledger(t).stats()).rpcs === before && i > 4) return i;
  }
  throw new Error("the subject never decided at the edge");
}

/**
 * Keeps the subject busy, one request every `gapMs`, until `done(res)`; returns
 * the number of requests it took. At a 100 ms gap, 11 requests span more than
 * a second: an allowance (≤ 1 s, renewed twice a second) cannot outlast them.
 */
export async function paced(key: string, done: (res: Response) => boolean, max = 30, gapMs = 100): Promise<number> {
  for (let i = 1; i <= max; i++) {
    const res = await one(key);
    if (done(res)) return i;
    await pause(gapMs);
  }
  return Number.POSITIVE_INFINITY;
}
