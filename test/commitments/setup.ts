/**
 * Shared pieces of the commitment suites: a tenant whose mock-large costs
 * exactly $10 per million output tokens (input free), calls with a set
 * number of output tokens that wait for their settlement, and a fixed clock
 * (10 days into May 2030, UTC) so month-to-date projections are exact.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, vi } from "vitest";
import { windowsAt } from "../../src/budget/windows";
import { createKey, createTenant } from "../helpers/guard";
import { post, withEnv } from "../helpers/traffic";

export const ledger = (t: string) => env.TENANT_LEDGER.getByName(t);
export const hello = { messages: [{ role: "user", content: "Hello" }] };
/** Input free, output $10 per 1M: a call's cost is its output tokens × 10 micro-USD. */
export const PRICES = { "mock-large": { input: 0, output: 10 } };
export const DAY = 86_400_000;
/** 2030-05-11T00:00Z: 10 of May's 31 days gone (after the real clock, so no alarm set here fires during a test). */
export const MAY_11 = Date.UTC(2030, 4, 11);

/** Freezes `Date` (only) at `at` for this test, the tenant object included (it runs in this isolate). */
export function freeze(at: number): void {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(at);
}

/** Restores the real clock after each test of a suite that freezes it. */
export function unfreezeAfterEach(): void {
  afterEach(() => vi.useRealTimers());
}

/** A tenant with {@link PRICES}, `config` over it, and a user key for `u`. */
export async function tenantWith(config: Record<string, unknown>): Promise<{ t: string; key: string }> {
  const t = await createTenant({ prices: PRICES, ...config });
  return { t, key: await createKey(t, { name: "k", role: "user", userId: "u" }) };
}

/** A mock-large call producing exactly `outputTokens` (capped at `maxTokens`); resolves once settled. */
export async function spend(key: string, outputTokens: number, maxTokens = outputTokens, headers: Record<string, string> = {}) {
  const p = post(key, { model: "mock-large", ...hello, max_tokens: maxTokens }, { "x-mock-output-tokens": String(outputTokens), ...headers });
  return withEnv({}, p.path, p);
}

/** The tenant's counter for the current day or month (at the frozen clock). */
export function tenantCounter(t: string, window: "daily" | "monthly" = "monthly") {
  return ledger(t).counter("tenant", windowsAt(Date.now())[window].key);
}

/** Rows of a query in the tenant's object. */
export async function sql<T = Record<string, unknown>>(t: string, query: string, ...b: (string | number | null)[]): Promise<T[]> {
  return runInDurableObject(ledger(t), (_i, s) => s.storage.sql.exec(query, ...b).toArray() as T[]);
}

/** Sum of net and list cost in the tenant's hourly rollups. */
export async function rollupCosts(t: string): Promise<{ net: number; list: number }> {
  const [r] = await sql<{ net: number | null; list: number | null }>(t, `SELECT SUM(cost) AS net, SUM(list_cost) AS list FROM rollups`);
  return { net: r?.net ?? 0, list: r?.list ?? 0 };
}
