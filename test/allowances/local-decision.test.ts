/**
 * The isolate's local decision and settle, table-driven: what it allows
 * locally (plain, warned, degraded) and what it sends the normal way (clamp,
 * block, an exhausted hold, an expired allowance, anything the object must
 * bound itself), and that a local settle charges what the object would.
 */
import { describe, expect, it } from "vitest";
import type { ScopeWindow } from "../../src/budget/types";
import { localCost } from "../../src/edge/held";
import { decideLocally, type LocalUsage } from "../../src/edge/local-decision";
import type { AllowanceSnapshot } from "../../src/ledger/allowances-types";
import type { ReserveRequest } from "../../src/ledger/types";
import { usageCost } from "../../src/pricing/cost";

const NOW = 1_000_000;
const small = { input: 0.15, cachedInput: 0.075, output: 0.6 };
const large = { input: 2.5, cachedInput: 1.25, output: 10 };

function win(kind: ScopeWindow["scope"]["kind"], limit: number | null, spent = 0, reserved = 0, softPct = 0.8): ScopeWindow {
  return {
    scope: { kind, id: kind === "tenant" ? "" : "x" },
    window: "daily",
    key: "day:2026-12-01",
    resetAt: NOW + 3600_000,
    limit,
    spent,
    reserved,
    softPct,
  };
}

function snap(over: Partial<AllowanceSnapshot> = {}): AllowanceSnapshot {
  return {
    allowanceId: "al_1",
    hold: 1_000_000,
    expiresAt: NOW + 1000,
    userId: "u1",
    feature: "default",
    windows: [win("tenant", 100_000_000), win("user", null)],
    models: {
      "mock-large": { price: large, degradeTo: "mock-small", expectedOutput: 256, modelMax: 16_384 },
      "mock-small": { price: small, degradeTo: null, expectedOutput: 256, modelMax: 16_384 },
    },
    minOutputTokens: 16,
    maxRequestCost: null,
    forwardHeaders: [],
    ...over,
  };
}

function req(over: Partial<ReserveRequest> = {}): ReserveRequest {
  return {
    requestId: "r1",
    keyHash: "k",
    userId: "u1",
    bodyUserId: null,
    feature: null,
    model: "mock-large",
    kind: "chat",
    inputTokens: 100,
    inputExact: false,
    requestedMaxTokens: 100,
    idempotent: false,
    finalMessageEligible: true,
    streaming: false,
    ...over,
  };
}

const idle: LocalUsage = { inflight: 0, pending: 0 };
// mock-large, 100 in + 100 out: 100 × 2.5 + 100 × 10 = 1250 micro-USD.
const LARGE_100_100 = 1250;

describe("local decision", () => {
  const cases: {
    name: string;
    s?: Partial<AllowanceSnapshot>;
    use?: LocalUsage;
    r?: Partial<ReserveRequest>;
    now?: number;
    want: string;
    amount?: number;
    model?: string;
  }[] = [
    { name: "plain allow", want: "local", amount: LARGE_100_100, model: "mock-large" },
    { name: "uncapped: the learned estimate is the forwarded cap", r: { requestedMaxTokens: null }, want: "local", amount: 250 + 2560 },
    {
      name: "past the soft limit: degraded locally",
      s: { windows: [win("tenant", 1_000_000, 850_000)] },
      want: "local",
      model: "mock-small",
    },
    { name: "expired allowance", now: NOW + 1000, want: "expired" },
    {
      name: "a window ended (midnight) since the snapshot",
      s: { expiresAt: NOW + 3600_000 + 1000 },
      now: NOW + 3600_000,
      want: "window_ended",
    },
    { name: "hold exhausted by in-flight requests", use: { inflight: 999_000, pending: 0 }, want: "hold_exhausted" },
    { name: "hold exhausted by settled, unflushed spend", use: { inflight: 0, pending: 999_000 }, want: "hold_exhausted" },
    {
      name: "a window cannot fit the call: the object blocks",
      s: {
        windows: [win("user", 1000, 0)],
        models: { "mock-large": { price: large, degradeTo: null, expectedOutput: 256, modelMax: 16_384 } },
      },
      want: "clamp",
    },
    { name: "a window is full: block goes to the object", s: { windows: [win("user", 1000, 1000)] }, want: "block" },
    {
      name: "per-call bound clamps: the object decides",
      s: { maxRequestCost: 1000 },
      r: { model: "mock-small", requestedMaxTokens: 5000 },
      want: "clamp",
    },
    { name: "per-call bound refuses: deny goes to the object", s: { maxRequestCost: 10 }, want: "deny" },
    { name: "model not in the snapshot", r: { model: "gpt-4o" }, want: "model_not_in_snapshot" },
    { name: "Idempotency-Key", r: { idempotent: true }, want: "idempotency_key" },
    { name: "unbounded part", r: { unbounded: ["messages[0].content[1]: file_id"] }, want: "unbounded" },
    { name: "stored context", r: { context: [{ kind: "previous_response", id: "resp_1" }] }, want: "context" },
    { name: "background", r: { background: true }, want: "background" },
    { name: "billed tool calls", r: { toolCalls: { web_search: 2 } }, want: "tool_calls" },
    { name: "service tier", r: { serviceTier: "priority" }, want: "service_tier" },
    { name: "cache TTL", r: { cacheTtl: "5m" }, want: "cache_ttl" },
    { name: "audio", r: { audioInputTokens: 50 }, want: "audio" },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const d = decideLocally(snap(c.s), c.use ?? idle, req(c.r), c.now ?? NOW);
      expect(d.kind === "local" ? "local" : d.reason).toBe(c.want);
      if (d.kind === "local") {
        if (c.amount !== undefined) expect(d.amount).toBe(c.amount);
        if (c.model !== undefined) expect(d.model).toBe(c.model);
      }
    });
  }

  it("headers come from the rebuilt windows: local spend and holds count", () => {
    const s = snap({ windows: [win("tenant", 10_000_000, 1_000_000, 500_000)] });
    const d = decideLocally(s, { inflight: 200_000, pending: 300_000 }, req(), NOW);
    expect(d.kind).toBe("local");
    if (d.kind !== "local") return;
    expect(d.tightest?.remaining).toBe(10_000_000 - 1_000_000 - 300_000 - 500_000 - 200_000 - LARGE_100_100);
  });

  it("warnings fire at the request that crosses the soft limit", () => {
    const s = snap({
      windows: [win("tenant", 10_000_000, 7_999_000, 0, 0.8)],
      models: { "mock-large": { price: large, degradeTo: null, expectedOutput: 256, modelMax: 16_384 } },
    });
    const before = decideLocally(s, idle, req({ requestedMaxTokens: 1 }), NOW);
    const after = decideLocally(s, idle, req(), NOW);
    expect(before.kind === "local" && before.warnings).toEqual([]);
    expect(after.kind === "local" && after.warnings.map((w) => w.pct)).toEqual([80]);
  });
});

describe("local settle", () => {
  const rates = { input: 2_500_000, output: 10_000_000, cachedInput: 1_250_000, cacheWrite: 2_500_000 };
  const usage = { inputTokens: 100, cachedInputTokens: 0, cacheWriteTokens: 0, outputTokens: 50 };
  it.each([
    ["ok: the usage's cost", "ok" as const, usageCost(usage, rates)],
    ["partial: the counted usage", "partial" as const, usageCost(usage, rates)],
    ["ceiling: the whole hold", "ceiling" as const, LARGE_100_100],
  ])("%s", (_n, outcome, want) => {
    expect(localCost(usage, outcome, LARGE_100_100, rates)).toBe(want);
  });
  it("ceiling: a higher reported usage still wins", () => {
    const big = { ...usage, outputTokens: 1000 };
    expect(localCost(big, "ceiling", LARGE_100_100, rates)).toBe(usageCost(big, rates));
  });
});
