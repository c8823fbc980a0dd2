/**
 * Red team, estimator denial of service (issue 12): a U+FEFF (or any other code
 * point) in counted text once made the fast estimator loop forever, pinning
 * the isolate before the key was even checked. Every call here must come back
 * (a bounded loop of requests, no timers: a hang is the failure) with /health
 * still answering; with a forged key nothing is estimated or spent, and with a
 * valid key the reservation covers the provider's exact input count.
 */
import { describe, expect, it } from "vitest";
import { call, chat, createTenant } from "../helpers/guard";
import { billingDouble, expectHeld, usd } from "../helpers/billing-double";
import { ledger, restoreAfterEach, setup, today, ZERO } from "../helpers/traffic";

restoreAfterEach();

/** Code points that are spaces to one table and not to another, invisible, unpaired, or at the edges of Unicode. */
const HOSTILE = [
  "\uFEFF", // byte-order mark: the original loop
  "\u200B", // zero-width space
  "\u200D", // zero-width joiner
  "\u00A0", // no-break space
  "\u2028", // line separator
  "\u3000", // ideographic space
  "\u180E", // Mongolian vowel separator (a space in old Unicode, not now)
  "\u0085", // next line
  "\u0000", // NUL
  "\uFFFD", // replacement character
  "\uD800", // lone high surrogate
  "\uDFFF", // lone low surrogate
  "\u{10FFFF}", // last code point
  "\u0301", // combining acute accent, alone
];

/** The same code point alone, between letters, between spaces, and as a long run. */
const shapes = (c: string) => [c, `a${c}b`, ` ${c} `, `${c}word${c} ${c}`, c.repeat(2000), `x ${c}`.repeat(500)];

async function healthy(): Promise<void> {
  const res = await call("/health");
  expect(res.status, "/health answers after the attack").toBe(200);
}

describe("estimator denial of service", () => {
  it("a forged key with hostile code points gets a 401 at once; nothing is estimated, stored or sent", async () => {
    const t = await createTenant({ limits: { daily: 1 } });
    const double = billingDouble();
    const content = HOSTILE.map((c) => c.repeat(50_000)).join(" ");
    for (const key of [`bg_${t}_${"A".repeat(32)}`, `bg_nosuchtenant-${Date.now()}_${"B".repeat(32)}`]) {
      const res = await chat(key, { model: "gpt-4o", messages: [{ role: "user", content }], max_tokens: 10 });
      expect(res.status).toBe(401);
      await healthy();
    }
    expect(double.calls).toEqual([]);
    expect(await ledger(t).counter("tenant", today())).toEqual(ZERO);
  });

  it("a valid key: every hostile code point in every position is answered, reserved at least at the provider's count", async () => {
    const { t, key } = await setup({ limits: { daily: 5 } });
    const reservedNow = () =>
      ledger(t)
        .counter("tenant", today())
        .then((c) => c.reserved);
    const double = billingDouble({ probe: reservedNow });
    const statuses: number[] = [];
    for (const c of HOSTILE) {
      for (const text of shapes(c)) {
        const res = await chat(key, { model: "gpt-4o", messages: [{ role: "user", content: text }], max_tokens: 1 });
        await res.text();
        statuses.push(res.status);
        expect(res.status, `code point U+${(c.codePointAt(0) ?? 0).toString(16)} answered`).toBe(200);
      }
      await healthy();
    }
    for (const billed of double.billed()) {
      // Calls run one at a time, so what is reserved when the provider sees a call is that call's hold.
      expect(billed.reservedAtCall, `the bound covers ${JSON.stringify(billed.body.messages).slice(0, 60)}`).toBeGreaterThanOrEqual(
        billed.costMicros,
      );
    }
    await expectHeld(t, double, statuses, usd(5));
  });

  it("hostile code points in system prompts, tools and the Anthropic and Responses dialects are answered too", async () => {
    const { t, key } = await setup({ limits: { daily: 5 } });
    const double = billingDouble();
    const text = HOSTILE.join(" ").repeat(200);
    const calls: [string, Record<string, unknown>][] = [
      ["/v1/messages", { model: "claude-haiku-4-5", system: text, messages: [{ role: "user", content: text }], max_tokens: 5 }],
      ["/v1/responses", { model: "gpt-4o", instructions: text, input: text, max_output_tokens: 16 }],
      ["/v1/embeddings", { model: "text-embedding-3-small", input: [text, text] }],
      [
        "/v1/chat/completions",
        {
          model: "gpt-4o",
          messages: [{ role: "user", content: "hi" }],
          tools: [{ type: "function", function: { name: "f", description: text, parameters: { type: "object" } } }],
          max_tokens: 5,
        },
      ],
    ];
    const statuses: number[] = [];
    for (const [path, body] of calls) {
      const res = await call(path, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      await res.text();
      expect(res.status, path).toBe(200);
      statuses.push(res.status);
      await healthy();
    }
    await expectHeld(t, double, statuses, usd(5));
  });
});
