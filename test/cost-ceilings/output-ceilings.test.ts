/**
 * Red team, output ceilings (issue 12): a hostile model writes until the
 * forwarded cap stops it, or to its maximum when there is none. The guard must
 * forward a cap it reserved for (× n), so the provider's bill stays within the
 * limit however many uncapped calls race, and tiny-cap calls cannot lower the
 * learned estimate of the next uncapped one.
 */
import { describe, expect, it } from "vitest";
import { chat } from "../helpers/guard";
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
