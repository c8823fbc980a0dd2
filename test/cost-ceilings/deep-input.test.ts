/**
 * Red team, deep and degenerate input (issue 12): content nested 20,000 deep
 * once crashed the guard (500, recursion), and one long run of a single
 * character forced the quadratic exact tokenizer for ~20 s of CPU. Nesting
 * over 64 is a 400 input_too_deep before anything is sent; a long run is
 * counted in chunks, which must still be an upper bound. No timing is
 * asserted: a call that pins the CPU never comes back, and the bound is
 * checked against the provider's own count.
 */
import { describe, expect, it } from "vitest";
import { call } from "../helpers/guard";
import { billingDouble, expectHeld, usd } from "../helpers/billing-double";
import { ledger, restoreAfterEach, setup, today } from "../helpers/traffic";

restoreAfterEach();

function sendRaw(key: string, path: string, raw: string): Promise<Response> {
  return call(path, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: raw,
  });
}

const deepObject = (depth: number) => `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`;
const deepArray = (depth: number) => `${"[".repeat(depth)}1${"]".repeat(depth)}`;

/** Bodies with `deep` (raw JSON) in a place each route forwards without reading. */
const PLACES: [string, string, (deep: string) => string][] = [
  [
    "chat tool parameters",
    "/v1/chat/completions",
    (d) =>
      `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"max_tokens":5,"tools":[{"type":"function","function":{"name":"f","parameters":${d}}}]}`,
  ],
  [
    "chat content part",
    "/v1/chat/completions",
    (d) => `{"model":"gpt-4o-mini","messages":[{"role":"user","content":[{"type":"text","text":"hi","x":${d}}]}],"max_tokens":5}`,
  ],
  ["Responses metadata", "/v1/responses", (d) => `{"model":"gpt-4o-mini","input":"hi","max_output_tokens":16,"metadata":${d}}`],
  [
    "Anthropic tool_use input",
    "/v1/messages",
    (d) =>
      `{"model":"claude-haiku-4-5","max_tokens":5,"messages":[{"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"f","input":${d}}]},{"role":"user","content":"hi"}]}`,
  ],
  ["embeddings extra field", "/v1/embeddings", (d) => `{"model":"text-embedding-3-small","input":"hi","x":${d}}`],
];

describe("deep input", () => {
  it.each(PLACES)("%s nested 20,000 deep (objects and arrays): 400 input_too_deep, nothing sent", async (_n, path, build) => {
    const { t, key } = await setup({ limits: { daily: 1 } });
    const double = billingDouble();
    const statuses: number[] = [];
    for (const deep of [deepObject(20_000), deepArray(20_000), deepObject(65)]) {
      const res = await sendRaw(key, path, build(deep));
      const text = await res.text();
      expect(res.status).toBe(400);
      if (path !== "/v1/messages") expect(JSON.parse(text)).toMatchObject({ error: { code: "input_too_deep" } });
      else expect(text).toContain("deep");
      statuses.push(res.status);
    }
    expect((await call("/health")).status).toBe(200);
    await expectHeld(t, double, statuses, usd(1));
  });

  it("nesting well within the limit (20 deep) is served", async () => {
    const { t, key } = await setup({ limits: { daily: 1 } });
    const double = billingDouble();
    const res = await sendRaw(key, "/v1/chat/completions", PLACES[0]?.[2](deepObject(20)) ?? "");
    await res.text();
    expect(res.status).toBe(200);
    await expectHeld(t, double, [res.status], usd(1));
  });
});

describe("one long run of a character", () => {
  // max_tokens 10,000,000 cannot fit $1, so the guard clamps, and clamping is where it counts exactly.
  const BODIES: [string, string, (text: string) => unknown][] = [
    ["chat", "/v1/chat/completions", (s) => ({ model: "gpt-4o-mini", messages: [{ role: "user", content: s }], max_tokens: 10_000_000 })],
    ["Responses", "/v1/responses", (s) => ({ model: "gpt-4o-mini", input: s, max_output_tokens: 10_000_000 })],
    ["Messages", "/v1/messages", (s) => ({ model: "claude-haiku-4-5", messages: [{ role: "user", content: s }], max_tokens: 10_000_000 })],
  ];

  it.each(BODIES)(
    '%s: 10,000 × "a" with max_tokens 10,000,000 is answered, reserved at least at the provider\'s count',
    async (_n, path, body) => {
      const { t, key } = await setup({ limits: { daily: 1 } });
      const double = billingDouble({
        probe: () =>
          ledger(t)
            .counter("tenant", today())
            .then((c) => c.reserved),
      });
      const res = await call(path, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify(body("a".repeat(10_000))),
      });
      await res.text();
      expect(res.status).toBe(200);
      expect((await call("/health")).status).toBe(200);
      const [only] = double.billed();
      expect(only, "the call reached the provider").toBeDefined();
      // Output runs to the forwarded (clamped) cap, so reserved ≥ billed holds exactly when the input count is an upper bound.
      expect(only?.reservedAtCall, "the chunked count is still an upper bound").toBeGreaterThanOrEqual(only?.costMicros ?? Infinity);
      await expectHeld(t, double, [res.status], usd(1));
    },
  );

  it('a run of a multi-byte character ("é" × 10,000) with a huge cap: answered, an upper bound', async () => {
    const { t, key } = await setup({ limits: { daily: 1 } });
    const double = billingDouble({
      probe: () =>
        ledger(t)
          .counter("tenant", today())
          .then((c) => c.reserved),
    });
    const res = await call("/v1/chat/completions", {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "é".repeat(10_000) }], max_tokens: 10_000_000 }),
    });
    await res.text();
    expect(res.status).toBe(200);
    const [only] = double.billed();
    expect(only?.reservedAtCall).toBeGreaterThanOrEqual(only?.costMicros ?? Infinity);
    await expectHeld(t, double, [res.status], usd(1));
  });
});
