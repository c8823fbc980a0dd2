/**
 * Whichever path decided, the caller sees the same thing: the budget headers
 * (X-Budget-Limit/Remaining/Scope/Reset, Warning, Degraded-From), the request
 * log line, and GET /v1/budget (which reads the object's counters: a hold
 * shows as reserved). The first requests of a subject reserve in the object;
 * once it is busy, its isolate decides from an allowance.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { sha256Hex } from "../../src/auth/keys";
import { call, chat, createKey, createTenant, eventually, reserveRequest } from "../helpers/guard";
import { hello, ledger } from "./busy";

const logged: Record<string, unknown>[] = [];
beforeEach(() => {
  logged.length = 0;
  const log = console.log.bind(console);
  vi.spyOn(console, "log").mockImplementation((...a: unknown[]) => {
    const line = a.map(String).join(" ");
    if (line.startsWith('{"level"')) logged.push(JSON.parse(line) as Record<string, unknown>);
    else log(...a);
  });
});
afterEach(() => vi.restoreAllMocks());

/** A call and whether it was decided at the edge (the object served no RPC for it). */
async function observed(t: string, key: string) {
  const before = (await ledger(t).stats()).rpcs;
  const res = await chat(key, { model: "mock-large", ...hello, max_tokens: 50 });
  await res.clone().text();
  const local = (await ledger(t).stats()).rpcs === before;
  return { res, local, line: () => logged.find((l) => l.msg === "request" && l.status === res.status && !("seen" in l)) };
}

const HEADERS = ["x-budget-limit-usd", "x-budget-scope", "x-budget-reset", "x-budget-degraded-from", "ratelimit-policy"];

describe("the same answers from both paths", () => {
  it("headers, warning, degrade, log line and /v1/budget", async () => {
    // Past the soft limit (50% of $1 spent): warnings, and mock-large degraded to mock-small.
    const t = await createTenant({ limits: { daily: 1 }, softLimitPct: 0.5, degrade: { "mock-large": "mock-small" } });
    const key = await createKey(t, { name: "k", role: "user", userId: "ann" });
    const keyHash = await sha256Hex(key);
    const pre = await ledger(t).reserve(
      reserveRequest(keyHash, { requestId: "pre", model: "mock-small", inputTokens: 4_000_000, requestedMaxTokens: 1 }),
    );
    expect(pre.status).toBe("allowed");
    await ledger(t).settle({
      reservationId: "pre",
      usage: { inputTokens: 4_000_000, cachedInputTokens: 0, cacheWriteTokens: 0, outputTokens: 0 },
      outcome: "ok",
    });

    const seen: { local: boolean; headers: Headers; line: Record<string, unknown> }[] = [];
    for (let i = 0; i < 40 && !(seen.some((s) => s.local) && seen.some((s) => !s.local)); i++) {
      const o = await observed(t, key);
      expect(o.res.status).toBe(200);
      const line = await eventually(async () => {
        const l = o.line();
        expect(l).toBeDefined();
        return l!;
      });
      line.seen = true;
      seen.push({ local: o.local, headers: o.res.headers, line });
    }
    const normal = seen.find((s) => !s.local)!;
    const local = seen.find((s) => s.local)!;
    expect(normal).toBeDefined();
    expect(local).toBeDefined();
    for (const h of HEADERS) expect(local.headers.get(h), h).toBe(normal.headers.get(h));
    expect(local.headers.get("x-budget-degraded-from")).toBe("mock-large");
    expect(local.headers.get("x-budget-warning")).toMatch(/^tenant:daily \d+% used$/);
    expect(normal.headers.get("x-budget-warning")).toMatch(/^tenant:daily \d+% used$/);
    // Remaining differs only by what was spent and held in between (a few calls of ~$0.00003).
    const remaining = (s: (typeof seen)[number]) => Number(s.headers.get("x-budget-remaining-usd"));
    expect(Math.abs(remaining(local) - remaining(normal))).toBeLessThan(0.01);
    // The edge path says ledger;dur=0: it asked nothing.
    expect(local.headers.get("server-timing")).toMatch(/ledger;dur=0(,|$)/);
    // The same log fields, the same decision.
    const fields = (l: Record<string, unknown>) =>
      Object.keys(l)
        .filter((k) => k !== "seen")
        .sort();
    expect(fields(local.line)).toEqual(fields(normal.line));
    expect(local.line).toMatchObject({ decision: "degraded", model: "mock-small", user: "ann", settlement: "ok" });
    expect(local.line.settledUsd).toBe(normal.line.settledUsd);

    // GET /v1/budget reads the object: while the allowance is held it shows as reserved; once it is
    // returned, spent is exactly the counter.
    const budget = async () => {
      const r = await call("/v1/budget", { headers: { authorization: `Bearer ${key}` } });
      return ((await r.json()) as { scopes: { scope: string; window: string; spentUsd: number; reservedUsd: number }[] }).scopes.find(
        (s) => s.scope === "tenant" && s.window === "daily",
      )!;
    };
    const held = await budget();
    const counter = await ledger(t).counter("tenant", (await import("../../src/budget/windows")).windowsAt(Date.now()).daily.key);
    expect(held.reservedUsd).toBeCloseTo(counter.reserved / 1e6, 6);
    await eventually(async () => {
      const b = await budget();
      expect(b.reservedUsd).toBe(0);
    }, 10_000);
  });
});
