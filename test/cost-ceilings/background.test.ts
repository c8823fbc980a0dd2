/**
 * Asynchronous work is metered (DESIGN "Cost ceilings"): a Responses call
 * with `background: true` answers `queued` with no usage while the provider
 * goes on working and billing. The reservation stays open and the tenant
 * object's alarm polls `GET /v1/responses/{id}` until the job ends, then
 * settles from its usage; a job that never ends is settled at the ceiling
 * after its deadline. Time is moved by rewriting the job row (its next poll
 * or its deadline), never by waiting.
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { TenantLedger } from "../../src/ledger/tenant-ledger";
import { call, eventually, type Outbound } from "../helpers/guard";
import { ledger, restoreAfterEach, setup, today, useUpstream } from "../helpers/traffic";

restoreAfterEach();

/** gpt-4o: $2.50 in, $10 out per million tokens (micro-USD per token). */
const IN = 2.5;
const OUT = 10;

function responses(key: string, body: Record<string, unknown>, headers: Record<string, string> = {}): Promise<Response> {
  return call("/v1/responses", {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json", ...headers },
    body: JSON.stringify({ model: "gpt-4o", input: "Write a long report.", max_output_tokens: 2000, background: true, ...body }),
  });
}

function responseJson(id: string, status: string, usage: { input: number; output: number } | null): Response {
  return Response.json({
    id,
    object: "response",
    created_at: 1_764_000_000,
    status,
    background: true,
    model: "gpt-4o",
    output: [],
    usage: usage && {
      input_tokens: usage.input,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: usage.output,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: usage.input + usage.output,
    },
  });
}

/** A poll's answer: built when fetched (a Response made in one request's context cannot be read in another's, e.g. the alarm's). */
type Poll = () => Response;

/** An OpenAI upstream: the create answers `queued`; each retrieve answers the next of `polls`, then `in_progress`. */
function backgroundUpstream(polls: Poll[]) {
  const queue = [...polls];
  return useUpstream((req: Outbound) => {
    if (req.method === "POST") return responseJson("resp_bg1", "queued", null);
    if (req.method === "GET" && new URL(req.url).pathname === "/v1/responses/resp_bg1") {
      return queue.shift()?.() ?? responseJson("resp_bg1", "in_progress", null);
    }
    return new Response("unexpected", { status: 500 });
  });
}

type Stub = ReturnType<typeof ledger>;

/** The job rows of a tenant. */
function jobs(stub: Stub) {
  return runInDurableObject(stub, (_i: TenantLedger, s) =>
    s.storage.sql.exec(`SELECT reservation_id, response_id, provider, attempts, next_poll_at, deadline_at FROM background_jobs`).toArray(),
  );
}

/** Moves a job's next poll (or its deadline) into the past, as time passing would. */
function makeDue(stub: Stub, what: "next_poll_at" | "deadline_at") {
  return runInDurableObject(stub, (_i: TenantLedger, s) => {
    s.storage.sql.exec(`UPDATE background_jobs SET ${what} = 0`);
  });
}

function reservedAmount(stub: Stub) {
  return runInDurableObject(stub, (_i: TenantLedger, s) => Number(s.storage.sql.exec(`SELECT amount FROM reservations`).one().amount));
}

describe("background responses", () => {
  it("are not settled from the queued reply, but from the completed poll's usage", async () => {
    const { t, key } = await setup({ limits: { daily: 10 } });
    const up = backgroundUpstream([
      () => responseJson("resp_bg1", "in_progress", null),
      () => responseJson("resp_bg1", "completed", { input: 900, output: 1500 }),
    ]);
    const res = await responses(key, {});
    expect(res.status).toBe(200);
    expect(((await res.json()) as { status: string }).status).toBe("queued");
    const stub = ledger(t);
    await eventually(async () => expect(await jobs(stub)).toHaveLength(1));
    expect((await jobs(stub))[0]).toMatchObject({ response_id: "resp_bg1", provider: "openai", attempts: 0 });
    // The hold stays: nothing settled from the queued reply.
    const held = await ledger(t).counter("tenant", today());
    expect(held.spent).toBe(0);
    expect(held.requests).toBe(0);
    expect(held.reserved).toBe(await reservedAmount(stub));

    // First poll: still running → polled again later, with backoff.
    await makeDue(stub, "next_poll_at");
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const [job] = await jobs(stub);
    expect(job).toMatchObject({ attempts: 1 });
    expect(Number(job?.next_poll_at)).toBeGreaterThan(Date.now());
    expect((await ledger(t).counter("tenant", today())).requests).toBe(0);

    // Second poll: completed → settled from its usage, and the job is gone.
    await makeDue(stub, "next_poll_at");
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const cost = Math.ceil(900 * IN + 1500 * OUT);
    expect(await ledger(t).counter("tenant", today())).toEqual({ spent: cost, reserved: 0, requests: 1 });
    expect(await jobs(stub)).toHaveLength(0);
    const gets = up.calls.filter((c) => c.method === "GET");
    expect(gets).toHaveLength(2);
    expect(gets[0]?.url).toBe("https://api.openai.com/v1/responses/resp_bg1");
    expect(gets[0]?.headers.get("authorization")).toBe("Bearer sk-test-openai-secret");
  });

  it("settle at the ceiling when the job never ends by its deadline", async () => {
    const { t, key } = await setup({ limits: { daily: 10 } });
    backgroundUpstream([]);
    expect((await responses(key, {})).status).toBe(200);
    const stub = ledger(t);
    await eventually(async () => expect(await jobs(stub)).toHaveLength(1));
    const amount = await reservedAmount(stub);
    await makeDue(stub, "deadline_at");
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await ledger(t).counter("tenant", today())).toEqual({ spent: amount, reserved: 0, requests: 1 });
    expect(await jobs(stub)).toHaveLength(0);
  });

  it("settle a failed job that reports no usage at the ceiling (the provider may have billed partial work)", async () => {
    const { t, key } = await setup({ limits: { daily: 10 } });
    backgroundUpstream([() => responseJson("resp_bg1", "failed", null)]);
    expect((await responses(key, {})).status).toBe(200);
    const stub = ledger(t);
    await eventually(async () => expect(await jobs(stub)).toHaveLength(1));
    const amount = await reservedAmount(stub);
    await makeDue(stub, "next_poll_at");
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await ledger(t).counter("tenant", today())).toEqual({ spent: amount, reserved: 0, requests: 1 });
  });

  it("without an output cap are forwarded with the cap they were reserved at", async () => {
    const { key } = await setup({ limits: { daily: 10 } });
    const up = backgroundUpstream([]);
    expect((await responses(key, { max_output_tokens: undefined })).status).toBe(200);
    const sent = JSON.parse(up.calls[0]?.body ?? "{}") as { max_output_tokens?: number };
    expect(typeof sent.max_output_tokens).toBe("number");
  });

  it("work with the built-in mock provider: queued, then completed with usage on retrieve", async () => {
    const { t, key } = await setup({ limits: { daily: 10 } });
    const res = await responses(key, { model: "mock-small", max_output_tokens: 2000 }, { "x-mock-output-tokens": "30" });
    const body = (await res.json()) as { id: string; status: string };
    expect(body.status).toBe("queued");
    const stub = ledger(t);
    await eventually(async () => expect(await jobs(stub)).toHaveLength(1));
    expect((await ledger(t).counter("tenant", today())).requests).toBe(0);
    await makeDue(stub, "next_poll_at");
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const c = await ledger(t).counter("tenant", today());
    expect(c.requests).toBe(1);
    expect(c.reserved).toBe(0);
    // 30 output tokens at $0.60/M plus the input: settled from usage, well under the reservation.
    expect(c.spent).toBeGreaterThanOrEqual(Math.ceil(30 * 0.6));
    expect(c.spent).toBeLessThan(
      await runInDurableObject(stub, (_i: TenantLedger, s) => Number(s.storage.sql.exec(`SELECT amount FROM reservations`).one().amount)),
    );
  });
  it("streamed and cut short, settle at the ceiling (the job goes on upstream)", async () => {
    const { t, key } = await setup({ limits: { daily: 10 } });
    const res = await responses(key, { model: "mock-small", stream: true }, { "x-mock-fail": "midstream", "x-mock-output-tokens": "200" });
    await res.text().catch(() => "");
    const stub = ledger(t);
    await eventually(async () => expect((await ledger(t).counter("tenant", today())).requests).toBe(1));
    const amount = await reservedAmount(stub);
    expect(await ledger(t).counter("tenant", today())).toEqual({ spent: amount, reserved: 0, requests: 1 });
  });
  it("are polled under the project header they were created with, when the tenant forwards it", async () => {
    const { t, key } = await setup({ limits: { daily: 10 }, forwardHeaders: ["openai-project"] });
    const up = backgroundUpstream([() => responseJson("resp_bg1", "completed", { input: 10, output: 10 })]);
    expect((await responses(key, {}, { "openai-project": "proj_a" })).status).toBe(200);
    const stub = ledger(t);
    await eventually(async () => expect(await jobs(stub)).toHaveLength(1));
    await makeDue(stub, "next_poll_at");
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const get = up.calls.find((c) => c.method === "GET");
    expect(get?.headers.get("openai-project")).toBe("proj_a");
    expect((await ledger(t).counter("tenant", today())).requests).toBe(1);
  });
});
