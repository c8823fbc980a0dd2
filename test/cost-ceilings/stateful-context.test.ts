/**
 * Stored context counts (DESIGN "Cost ceilings": "Stateful context counts"):
 * a Responses call with `previous_response_id` is billed, as input, for the
 * whole context the provider stored. The guard records the token total of
 * each response it settled and reserves it for the next call that reuses it;
 * an id it never recorded is a 400 (nothing forwarded) unless maxRequestUsd
 * covers it, then reserved in full. The upstream here bills like OpenAI: the
 * reused context is part of `usage.input_tokens`.
 */
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { CONTEXT_RETENTION_MS, ContextStore } from "../../src/ledger/storage/contexts";
import { Sql } from "../../src/ledger/storage/sql";
import type { TenantLedger } from "../../src/ledger/tenant-ledger";
import { call, eventually } from "../helpers/guard";
import { ledger, restoreAfterEach, setup, today, useUpstream } from "../helpers/traffic";

restoreAfterEach();

/** gpt-4o list price, micro-USD per token: $2.50 in, $10 out per million. */
const IN = 2.5;
const OUT = 10;
const BIG = 40_000;

function responses(key: string, body: Record<string, unknown>): Promise<Response> {
  return call("/v1/responses", {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify({ model: "gpt-4o", ...body }),
  });
}

/** An OpenAI Responses answer with the given usage. */
function answer(id: string, input: number, output: number): Response {
  return Response.json({
    id,
    object: "response",
    created_at: 1_764_000_000,
    status: "completed",
    model: "gpt-4o",
    output: [
      {
        type: "message",
        id: `msg_${id}`,
        status: "completed",
        role: "assistant",
        content: [{ type: "output_text", text: "ok", annotations: [] }],
      },
    ],
    usage: {
      input_tokens: input,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: output,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: input + output,
    },
  });
}

/**
 * An upstream that stores responses like OpenAI: a call naming
 * previous_response_id is billed for that response's whole context as input.
 * Returns the real bill in micro-USD so far.
 */
function billingUpstream(first: { input: number; output: number }) {
  const stored = new Map<string, number>();
  let n = 0;
  let billed = 0;
  const spy = useUpstream((req) => {
    const body = JSON.parse(req.body) as { previous_response_id?: string; input: string };
    const prior = body.previous_response_id ? stored.get(body.previous_response_id) : 0;
    if (prior === undefined) return Response.json({ error: { message: "not found" } }, { status: 404 });
    const input = body.previous_response_id ? prior + 10 : first.input;
    const output = body.previous_response_id ? 20 : first.output;
    const id = `resp_${++n}`;
    stored.set(id, input + output);
    billed += input * IN + output * OUT;
    return answer(id, input, output);
  });
  return { spy, billed: () => Math.ceil(billed) };
}

describe("previous_response_id", () => {
  it("reserves the recorded 40k-token context of the reused response", async () => {
    const { t, key } = await setup({ limits: { daily: 10 } });
    // While the second call is upstream, its reservation is visible in the counters.
    let reservedInFlight = 0;
    const up = useUpstream(async (req) => {
      if (!JSON.parse(req.body).previous_response_id) return answer("resp_big", BIG, 100);
      reservedInFlight = (await ledger(t).counter("tenant", today())).reserved;
      return answer("resp_next", BIG + 100 + 10, 20);
    });
    expect((await responses(key, { input: "a long document", max_output_tokens: 200 })).status).toBe(200);
    await eventually(async () => expect((await ledger(t).counter("tenant", today())).requests).toBe(1));
    const second = await responses(key, { input: "and now?", previous_response_id: "resp_big", max_output_tokens: 100 });
    expect(second.status).toBe(200);
    expect(up.calls).toHaveLength(2);
    // The reused context alone (40,100 tokens at $2.50/M) is ~$0.10; without it the call would reserve ~$0.001.
    expect(reservedInFlight).toBeGreaterThanOrEqual(Math.ceil((BIG + 100) * IN));
  });

  it("keeps 20 concurrent calls reusing a 40k-token context within the limit", async () => {
    // $0.50 a day: the first call costs ~$0.10, so only about four context calls (~$0.10 each) fit after it.
    const { t, key } = await setup({ limits: { daily: 0.5 } });
    const up = billingUpstream({ input: BIG, output: 100 });
    expect((await responses(key, { input: "a long document", max_output_tokens: 200 })).status).toBe(200);
    await eventually(async () => expect((await ledger(t).counter("tenant", today())).requests).toBe(1));

    const results = await Promise.all(
      Array.from({ length: 20 }, () => responses(key, { input: "more?", previous_response_id: "resp_1", max_output_tokens: 100 })),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThan(0);
    expect(statuses.filter((s) => s === 402).length).toBeGreaterThan(10);
    const allowed = statuses.filter((s) => s === 200).length;
    await eventually(async () => expect((await ledger(t).counter("tenant", today())).requests).toBe(1 + allowed));
    const counter = await ledger(t).counter("tenant", today());
    expect(counter.reserved).toBe(0);
    // What the provider really billed is covered by what the guard recorded, and the limit holds.
    expect(up.billed()).toBeLessThanOrEqual(counter.spent);
    expect(counter.spent).toBeLessThanOrEqual(500_000);
  });

  it("chains: a response reusing a context is recorded with it, without counting it twice", async () => {
    const { t, key } = await setup({ limits: { daily: 10 } });
    billingUpstream({ input: BIG, output: 100 });
    expect((await responses(key, { input: "doc", max_output_tokens: 200 })).status).toBe(200);
    await eventually(async () => expect((await ledger(t).counter("tenant", today())).requests).toBe(1));
    expect((await responses(key, { input: "q", previous_response_id: "resp_1", max_output_tokens: 100 })).status).toBe(200);
    await eventually(async () => expect((await ledger(t).counter("tenant", today())).requests).toBe(2));
    const rows = await runInDurableObject(ledger(t), (_i, s) =>
      s.storage.sql.exec(`SELECT id, tokens FROM contexts WHERE kind = 'response' ORDER BY id`).toArray(),
    );
    // resp_2 was billed 40,110 input (its context included) + 20 output: stored as such, not 80k.
    expect(rows).toEqual([
      { id: "resp_1", tokens: BIG + 100 },
      { id: "resp_2", tokens: BIG + 100 + 10 + 20 },
    ]);
  });

  it("refuses an id it never recorded with a 400 unknown_context, forwarding nothing", async () => {
    const { t, key } = await setup({ limits: { daily: 10 } });
    const up = billingUpstream({ input: 10, output: 10 });
    const res = await responses(key, { input: "hi", previous_response_id: "resp_made_elsewhere", max_output_tokens: 100 });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("unknown_context");
    expect(body.error.message).toContain("maxRequestUsd");
    expect(up.spy.calls).toHaveLength(0);
    expect(await ledger(t).counter("tenant", today())).toEqual({ spent: 0, reserved: 0, requests: 0 });
  });

  it("refuses a stored prompt (its size is never visible) and a conversation it has not seen", async () => {
    const { key } = await setup({ limits: { daily: 10 } });
    const up = billingUpstream({ input: 10, output: 10 });
    for (const extra of [{ prompt: { id: "pmpt_1" } }, { conversation: "conv_1" }]) {
      const res = await responses(key, { input: "hi", max_output_tokens: 100, ...extra });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("unknown_context");
    }
    expect(up.spy.calls).toHaveLength(0);
  });

  it("with maxRequestUsd, reserves an unknown context in full", async () => {
    const { t, key } = await setup({ limits: { daily: 10 }, maxRequestUsd: 0.5 });
    let reservedInFlight = 0;
    useUpstream(async () => {
      reservedInFlight = (await ledger(t).counter("tenant", today())).reserved;
      return answer("resp_after", 60_000, 20);
    });
    const res = await responses(key, { input: "hi", previous_response_id: "resp_made_elsewhere", max_output_tokens: 100 });
    expect(res.status).toBe(200);
    expect(reservedInFlight).toBe(500_000);
    // Settled from the provider's usage; the response is known from now on.
    const cost = Math.ceil(60_000 * IN + 20 * OUT);
    await eventually(async () => expect(await ledger(t).counter("tenant", today())).toEqual({ spent: cost, reserved: 0, requests: 1 }));
  });
});

describe("conversation", () => {
  it("grows the conversation's total by each response's new tokens", async () => {
    const { t, key } = await setup({ limits: { daily: 10 }, maxRequestUsd: 1 });
    let calls = 0;
    let reservedInFlight = 0;
    useUpstream(async () => {
      calls += 1;
      reservedInFlight = (await ledger(t).counter("tenant", today())).reserved;
      // First turn: 30k of items already in the conversation plus the new input; second turn: all of it plus 10.
      return calls === 1 ? answer("resp_c1", 30_000, 500) : answer("resp_c2", 30_510, 50);
    });
    expect((await responses(key, { input: "start", conversation: "conv_x", max_output_tokens: 600 })).status).toBe(200);
    await eventually(async () => expect((await ledger(t).counter("tenant", today())).requests).toBe(1));
    // Known now: the next turn reserves the 30,500 stored tokens, not maxRequestUsd in full.
    expect((await responses(key, { input: "next", conversation: { id: "conv_x" }, max_output_tokens: 100 })).status).toBe(200);
    expect(reservedInFlight).toBeGreaterThanOrEqual(Math.ceil(30_500 * IN));
    expect(reservedInFlight).toBeLessThan(1_000_000);
    await eventually(async () => expect((await ledger(t).counter("tenant", today())).requests).toBe(2));
  });
});

describe("retention", () => {
  it("drops totals older than 30 days and the oldest beyond the per-tenant cap", async () => {
    const { t } = await setup({ limits: { daily: 10 } });
    const left = await runInDurableObject(ledger(t), (_i: TenantLedger, s) => {
      const now = Date.now();
      const ins = (id: string, at: number) =>
        s.storage.sql.exec(`INSERT INTO contexts (id, kind, tokens, created_at, updated_at) VALUES (?, 'response', 1, ?, ?)`, id, at, at);
      ins("resp_expired", now - CONTEXT_RETENTION_MS - 1);
      for (let i = 0; i < 5; i++) ins(`resp_${i}`, now - 1000 + i);
      new ContextStore(new Sql(s.storage.sql)).prune(now, 3);
      return s.storage.sql
        .exec(`SELECT id FROM contexts ORDER BY id`)
        .toArray()
        .map((r) => r.id);
    });
    expect(left).toEqual(["resp_2", "resp_3", "resp_4"]);
  });
});
