/**
 * The isolate's bookkeeping, pure: the registry stays bounded without
 * forgetting a subject that holds something, busy detection, and when a
 * held allowance's batch is due back.
 */
import { describe, expect, it } from "vitest";
import { HeldAllowance, MAX_BATCH } from "../../src/edge/held";
import { Registry, subjectKey } from "../../src/edge/registry";
import { BUSY_REQUESTS, Subject } from "../../src/edge/subject";
import type { AllowanceRecord, AllowanceSnapshot } from "../../src/ledger/allowances-types";

const NOW = 1_000_000;
const snap = (hold = 1000): AllowanceSnapshot => ({
  allowanceId: "al",
  hold,
  expiresAt: NOW + 1000,
  userId: "u",
  feature: "default",
  windows: [],
  models: {},
  minOutputTokens: 1,
  maxRequestCost: null,
  forwardHeaders: [],
});
const rec = (cost: number, at = NOW): AllowanceRecord => ({
  requestId: "r",
  model: "m",
  inputTokens: 1,
  cachedTokens: 0,
  cacheWriteTokens: 0,
  outputTokens: 1,
  cost,
  outcome: "ok",
  outputCap: null,
  choices: 1,
  at,
});

describe("registry", () => {
  it("stays bounded, dropping idle subjects first and keeping one that holds an allowance", () => {
    const r = new Registry(10);
    const holding = r.get("holding");
    holding.current = new HeldAllowance(snap(), NOW);
    for (let i = 0; i < 50; i++) r.get(`s${i}`);
    expect(r.size).toBeLessThanOrEqual(10);
    expect(r.get("holding")).toBe(holding);
  });

  it("names a subject by tenant, key, user header, body user and feature", () => {
    expect(
      new Set([subjectKey("t", "k", "u", null, null), subjectKey("t", "k", null, "u", null), subjectKey("t", "k", "u", null, "f")]).size,
    ).toBe(3);
  });
});

describe("busy", () => {
  it.each([
    [BUSY_REQUESTS - 1, 0, false],
    [BUSY_REQUESTS, 0, true],
    [BUSY_REQUESTS, 1000, false],
  ])("%i requests, asked %i ms after them → busy %s", (n, later, want) => {
    const s = new Subject();
    for (let i = 0; i < n; i++) s.hit(NOW + i);
    expect(s.busy(NOW + n + later)).toBe(want);
  });
});

describe("a batch is due back", () => {
  it.each([
    ["nothing queued, under half the hold", [], 0, 0, false],
    ["a full batch", Array.from({ length: MAX_BATCH }, () => rec(1)), 0, 0, true],
    ["the oldest record a second old", [rec(1, NOW - 1000)], 0, 0, true],
    ["over half the hold used (renew to resize it)", [rec(300)], 300, 0, true],
    ["a failed flush waits its second", [rec(1, NOW - 1000)], 0, NOW + 500, false],
  ])("%s", (_n, queued, inflight, retryAt, want) => {
    const h = new HeldAllowance(snap(), NOW);
    h.queued.push(...(queued as AllowanceRecord[]));
    if (inflight) h.begin(inflight as number);
    h.retryAt = retryAt as number;
    expect(h.due(NOW)).toBe(want);
  });

  it("the timer fires by the oldest record's second or at half the lifetime, whichever is first", () => {
    const h = new HeldAllowance(snap(), NOW);
    expect(h.nextDueAt(NOW)).toBe(NOW + 500);
    h.queued.push(rec(1, NOW - 800));
    expect(h.nextDueAt(NOW)).toBe(NOW + 200);
  });
});
