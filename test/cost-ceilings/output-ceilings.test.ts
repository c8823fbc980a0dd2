/**
 * Red team, output ceilings (issue 12): a hostile model writes until the
 * forwarded cap stops it, or to its maximum when there is none. The guard must
 * forward a cap it reserved for (× n), so the provider's bill stays within the
 * limit however many uncapped calls race, and tiny-cap calls cannot lower the
 * learned estimate of the next uncapped one.
 */
import { describe, expect, it } from "vitest";
import { call, chat } from "../helpers/guard";
import { billingDouble, expectHeld, settled, usd } from "../helpers/billing-double";
import { hello, ledger, restoreAfterEach, setup, today } from "../helpers/traffic";

restoreAfterEach();

const reservedNow = (t: string) => () =>
  ledger(t)
    .counter("tenant", today())
    .then((c) => c.reserved);
const forwardedCap = (body: Record<string, unknown>) => body.max_completion_tokens ?? body.max_tokens;

describe("output ceilings", () => {
  it("n: 128 with no max_tokens against $1 a day: the provider's bill stays within $1", async () => {
    const { t, key } = await setup({ limits: { daily: 1 } });
    const double = billingDouble({ probe: reservedNow(t) });
    const res = await chat(key, { model: "gpt-4o", ...hello, n: 128 });
    await res.text();
    await expectHeld(t, double, [res.status], usd(1));
    for (const call of double.billed()) {
      expect(forwardedCap(call.body), "an uncapped call is forwarded with the cap it was reserved at").toBeTypeOf("number");
      expect(call.reservedAtCall, "the reservation covers all n choices").toBeGreaterThanOrEqual(call.costMicros);
    }
  });

  it("10 concurrent uncapped calls against $0.10: the bill stays within $0.10", async () => {
    const { t, key } = await setup({ limits: { daily: 0.1 } });
    const double = billingDouble();
    const results = await Promise.all(
      Array.from({ length: 10 }, async () => {
        const res = await chat(key, { model: "gpt-4o", ...hello });
        await res.text();
        return res.status;
      }),
    );
    await expectHeld(t, double, results, usd(0.1));
    expect(double.billed().length, "some calls still go through").toBeGreaterThan(0);
  });

  it("25 max_tokens: 1 calls do not drag the next uncapped call's reservation below its bill", async () => {
    const { t, key } = await setup({ limits: { daily: 5 } });
    const double = billingDouble({ probe: reservedNow(t) });
    for (let i = 0; i < 25; i++) {
      const res = await chat(key, { model: "gpt-4o-mini", ...hello, max_tokens: 1 });
      expect(res.status).toBe(200);
      await res.text();
    }
    await settled(t);
    const res = await chat(key, { model: "gpt-4o-mini", ...hello });
    expect(res.status).toBe(200);
    await res.text();
    await expectHeld(t, double, [res.status], usd(5));
    const last = double.billed().at(-1);
    expect(last?.route).toBe("chat");
    const cap = Number(forwardedCap(last?.body ?? {}));
    // The floor: the learned estimate never falls below the tenant's minOutputTokens (256 by default).
    expect(cap, "the learned estimate has a floor").toBeGreaterThanOrEqual(256);
    expect(last?.reservedAtCall, "reserved at the cap it was forwarded with").toBeGreaterThanOrEqual(last?.costMicros ?? Infinity);
  });
});

describe("output ceilings on every route and shape", () => {
  function send(key: string, path: string, body: unknown): Promise<Response> {
    return call(path, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  }

  it.each([
    ["Responses with no max_output_tokens", "/v1/responses", { model: "gpt-4o", input: "Write." }],
    ["a streamed chat with n: 4 and no cap", "/v1/chat/completions", { model: "gpt-4o", ...hello, n: 4, stream: true }],
    ["a reasoning model (o4-mini, 100k max output) with no cap", "/v1/chat/completions", { model: "o4-mini", ...hello }],
  ])("10 concurrent calls of %s against $0.10: the bill stays within $0.10", async (_n, path, body) => {
    const { t, key } = await setup({ limits: { daily: 0.1 } });
    const double = billingDouble();
    const statuses = await Promise.all(
      Array.from({ length: 10 }, async () => {
        const res = await send(key, path, body);
        await res.text();
        return res.status;
      }),
    );
    await expectHeld(t, double, statuses, usd(0.1));
    for (const b of double.billed()) {
      const cap = path === "/v1/responses" ? b.body.max_output_tokens : forwardedCap(b.body);
      expect(cap, "forwarded with a cap").toBeTypeOf("number");
    }
  });

  it("maxRequestUsd $0.01: every uncapped call is forwarded with a cap that keeps its bill within $0.01", async () => {
    const { t, key } = await setup({ limits: { daily: 5 }, maxRequestUsd: 0.01 });
    const double = billingDouble({ probe: reservedNow(t) });
    const statuses: number[] = [];
    for (const body of [
      { model: "gpt-4o", ...hello },
      { model: "gpt-4o", ...hello, max_tokens: 100_000 },
      { model: "gpt-4o", ...hello, n: 2 },
    ]) {
      const res = await chat(key, body);
      await res.text();
      statuses.push(res.status);
      expect(res.status).toBe(200);
    }
    await expectHeld(t, double, statuses, usd(5));
    for (const b of double.billed()) {
      expect(b.costMicros, "one call's bill").toBeLessThanOrEqual(usd(0.01));
      expect(b.reservedAtCall).toBeGreaterThanOrEqual(b.costMicros);
    }
  });

  it("maxRequestUsd $0.001 and an input that alone costs more: 400 request_cost_limit_exceeded, nothing sent", async () => {
    const { t, key } = await setup({ limits: { daily: 5 }, maxRequestUsd: 0.001 });
    const double = billingDouble();
    const res = await chat(key, { model: "gpt-4o", messages: [{ role: "user", content: "word ".repeat(2000) }], max_tokens: 10 });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: "request_cost_limit_exceeded" } });
    await expectHeld(t, double, [res.status], usd(5));
  });
});
