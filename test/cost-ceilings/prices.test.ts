/**
 * Red team, prices (issue 12): every unit the provider bills has a price at
 * reserve time and at settlement: built-in tool fees (web search $10 per
 * 1,000 calls), Anthropic 1-hour cache writes (2× input, not the 5-minute
 * 1.25×), OpenAI priority processing, and dated snapshots at their own list
 * price. A unit with no price is a 400, never $0. The double bills from its
 * own copy of the providers' pricing pages (billing-meter.ts).
 */
import { describe, expect, it } from "vitest";
import { call } from "../helpers/guard";
import { billingDouble, expectHeld, usd } from "../helpers/billing-double";
import { ledger, restoreAfterEach, setup, today } from "../helpers/traffic";

restoreAfterEach();

const reservedNow = (t: string) => () =>
  ledger(t)
    .counter("tenant", today())
    .then((c) => c.reserved);

function send(key: string, path: string, body: unknown): Promise<Response> {
  return call(path, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

/** One call: refused with nothing sent, or reserved at least at the bill and settled at least at it, within the limit. */
async function attack(limit: number, path: string, body: unknown) {
  const { t, key } = await setup({ limits: { daily: limit } });
  const double = billingDouble({ probe: reservedNow(t) });
  const res = await send(key, path, body);
  const text = await res.text();
  const held = await expectHeld(t, double, [res.status], usd(limit));
  for (const b of double.billed())
    expect(b.reservedAtCall, "reserved at least what the provider bills").toBeGreaterThanOrEqual(b.costMicros);
  return { res, text, double, ...held };
}

const words = (n: number) => "word ".repeat(n);

describe("prices for every billed unit", () => {
  describe("built-in tool fees", () => {
    const responses = (tool: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
      model: "gpt-4o",
      input: "Search the news.",
      tools: [tool],
      max_output_tokens: 100,
      ...extra,
    });
    const messages = (tool: Record<string, unknown>) => ({
      model: "claude-haiku-4-5",
      max_tokens: 100,
      tools: [tool],
      messages: [{ role: "user", content: "Search the news." }],
    });

    // Each search also adds its results as input (the double bills 8,000 tokens a search), so "allowed" needs room for them.
    it("Responses web_search with max_tool_calls 3 ($0.03 of fees) and $1: allowed, fees reserved and recorded", async () => {
      const { res, spent } = await attack(1, "/v1/responses", responses({ type: "web_search" }, { max_tool_calls: 3 }));
      expect(res.status).toBe(200);
      expect(spent).toBeGreaterThanOrEqual(30_000);
    });

    it("Responses web_search with max_tool_calls 3 against $0.02: refused (or bounded below the limit)", async () => {
      await attack(0.02, "/v1/responses", responses({ type: "web_search" }, { max_tool_calls: 3 }));
    });

    it("Responses web_search with no max_tool_calls (a hostile model searches 10×, $0.10) against $0.05: held", async () => {
      await attack(0.05, "/v1/responses", responses({ type: "web_search" }));
    });

    it("Responses web_search_preview on gpt-4o ($25 per 1,000) with max_tool_calls 2: held", async () => {
      await attack(0.055, "/v1/responses", responses({ type: "web_search_preview" }, { max_tool_calls: 2 }));
    });

    it("Anthropic web_search with max_uses 3 and $1: allowed, fees reserved and recorded", async () => {
      const { res, spent } = await attack(1, "/v1/messages", messages({ type: "web_search_20250305", name: "web_search", max_uses: 3 }));
      expect(res.status).toBe(200);
      expect(spent).toBeGreaterThanOrEqual(30_000);
    });

    it("Anthropic web_search with no max_uses against $0.05: refused with a message that says what to add", async () => {
      const { res, text } = await attack(0.05, "/v1/messages", messages({ type: "web_search_20250305", name: "web_search" }));
      if (res.status === 400) expect(text).toMatch(/max_uses|maxRequestUsd/);
    });
  });

  describe("Anthropic 1-hour cache writes (2× input)", () => {
    // ~19.5k Claude tokens written to the 1h cache on claude-sonnet-4-5: $0.117 at $6/M, $0.073 at the 5-minute $3.75/M.
    const body = {
      model: "claude-sonnet-4-5",
      max_tokens: 100,
      system: [{ type: "text", text: words(15_000), cache_control: { type: "ephemeral", ttl: "1h" } }],
      messages: [{ role: "user", content: "Hi" }],
    };

    it("against $0.10: held (priced at the 5-minute rate it would fit, and overspend)", async () => {
      await attack(0.1, "/v1/messages", body);
    });

    it("against $1: allowed, recorded at the 1-hour write price", async () => {
      const { res, double, spent } = await attack(1, "/v1/messages", body);
      expect(res.status).toBe(200);
      expect(double.billed()[0]?.usage?.cacheWrite1hTokens).toBeGreaterThan(19_000);
      expect(spent).toBeGreaterThanOrEqual(double.bill());
    });
  });

  describe("service_tier priority (gpt-4o: $4.25 / $17 instead of $2.50 / $10)", () => {
    const body = (content: string, max: number) => ({
      model: "gpt-4o",
      service_tier: "priority",
      messages: [{ role: "user", content }],
      max_tokens: max,
    });

    it("a call that fits at the standard price but not at priority is held", async () => {
      // ~30k input tokens: $0.075 standard, $0.1275 priority.
      await attack(0.1, "/v1/chat/completions", body(words(30_000), 10));
    });

    it("a call within the limit is reserved and recorded at the priority price", async () => {
      const { res, double } = await attack(1, "/v1/chat/completions", body("Hello", 1000));
      expect(res.status).toBe(200);
      expect(double.billed()[0]?.usage?.serviceTier).toBe("priority");
    });
  });

  describe("dated snapshots at their own list price", () => {
    // gpt-4o-2024-05-13 is $5 / $15 (gpt-4o is $2.50 / $10): ~10k input + 2,000 output is $0.08 there, $0.045 as gpt-4o.
    const body = { model: "gpt-4o-2024-05-13", messages: [{ role: "user", content: words(10_000) }], max_tokens: 2000 };

    it("against $0.06: refused or clamped, and the $5 / $15 bill stays within it (priced as gpt-4o it would fit uncut)", async () => {
      await attack(0.06, "/v1/chat/completions", body);
    });

    it("against $1: recorded at $5 / $15", async () => {
      const { res, spent, double } = await attack(1, "/v1/chat/completions", body);
      expect(res.status).toBe(200);
      expect(spent).toBeGreaterThanOrEqual(double.bill());
    });
  });

  describe("a unit with no price is a 400 naming it, nothing sent", () => {
    it.each([
      [
        "a built-in tool with no known fee (image_generation)",
        "/v1/responses",
        { model: "gpt-4o", input: "Draw a cat.", tools: [{ type: "image_generation" }], max_output_tokens: 100 },
        "image_generation",
      ],
      [
        "a service tier the model has no price for (priority on gpt-5-nano)",
        "/v1/chat/completions",
        { model: "gpt-5-nano", service_tier: "priority", messages: [{ role: "user", content: "Hi" }], max_completion_tokens: 100 },
        "priority",
      ],
      [
        "audio input on a text model",
        "/v1/chat/completions",
        {
          model: "gpt-4o-mini",
          messages: [{ role: "user", content: [{ type: "input_audio", input_audio: { data: "UklGRg==", format: "wav" } }] }],
          max_tokens: 10,
        },
        "audio",
      ],
    ])("%s", async (_n, path, body, names) => {
      const { res, text, double } = await attack(10, path, body);
      expect(res.status).toBe(400);
      const err = (JSON.parse(text) as { error: { code: string; message: string } }).error;
      expect(err.code).toBe("unpriced_unit");
      expect(err.message).toContain(names);
      expect(double.calls).toEqual([]);
    });
  });
});
