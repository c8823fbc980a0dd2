/** Trust suite: idempotency. Each test names the protection it proves; removing it makes the test fail. */
import { describe, expect, it } from "vitest";
import { call, chat, createKey, eventually } from "../helpers/guard";
import { today, ledger, hello, setup, restoreAfterEach } from "../helpers/traffic";

restoreAfterEach();

describe("idempotency", () => {
  it("a retry with the same Idempotency-Key is answered from the first call, charged once", async () => {
    const { t, key } = await setup();
    const headers = { "idempotency-key": "retry-me-1", "x-mock-output-tokens": "12" };
    const first = await chat(key, { model: "mock-small", ...hello, max_tokens: 50 }, headers);
    expect(first.status).toBe(200);
    const firstBody = await first.text();
    await eventually(async () => expect((await ledger(t).counter("tenant", today())).reserved).toBe(0));
    const spent = (await ledger(t).counter("tenant", today())).spent;
    const retry = await chat(key, { model: "mock-small", ...hello, max_tokens: 50 }, headers);
    expect(retry.status).toBe(200);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(await retry.text()).toBe(firstBody);
    expect(await ledger(t).counter("tenant", today())).toEqual({ spent, reserved: 0, requests: 1 });
  });

  it("a concurrent duplicate is refused while the first runs", async () => {
    const { key } = await setup();
    const headers = { "idempotency-key": "dup-2", "x-mock-latency-ms": "200" };
    const [a, b] = await Promise.all([
      chat(key, { model: "mock-small", ...hello, max_tokens: 10 }, headers),
      chat(key, { model: "mock-small", ...hello, max_tokens: 10 }, headers),
    ]);
    expect([a.status, b.status].sort()).toEqual([200, 409]);
  });

  it("a retry after an upstream failure runs again (nothing was spent)", async () => {
    const { t, key } = await setup();
    const failed = await chat(key, { model: "mock-small", ...hello, max_tokens: 10 }, { "idempotency-key": "k3", "x-mock-fail": "500" });
    expect(failed.status).toBe(500);
    await eventually(async () => expect((await ledger(t).counter("tenant", today())).reserved).toBe(0));
    const ok = await chat(key, { model: "mock-small", ...hello, max_tokens: 10 }, { "idempotency-key": "k3" });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("idempotent-replayed")).toBeNull();
  });

  it("the same key from another guard key is a different request", async () => {
    const { t, key } = await setup();
    const other = await createKey(t, { name: "k2", role: "user", userId: "u2" });
    expect((await chat(key, { model: "mock-small", ...hello, max_tokens: 10 }, { "idempotency-key": "shared" })).status).toBe(200);
    const res = await chat(other, { model: "mock-small", ...hello, max_tokens: 10 }, { "idempotency-key": "shared" });
    expect(res.status).toBe(200);
    expect(res.headers.get("idempotent-replayed")).toBeNull();
  });

  describe("scoped to key, user, feature, route and body (a mismatch is a 422, never another caller's answer)", () => {
    const body = { model: "mock-small", ...hello, max_tokens: 20 };
    async function serviceKeyAfterUserA(idem: string) {
      const { t } = await setup();
      const key = await createKey(t, { name: "svc", role: "service" });
      const first = await chat(key, body, { "idempotency-key": idem, "x-budget-user": "alice" });
      expect(first.status).toBe(200);
      const answer = await first.text();
      await eventually(async () => expect((await ledger(t).counter("tenant", today())).reserved).toBe(0));
      return { t, key, answer };
    }
    const reused = async (res: Response, answer: string) => {
      expect(res.status).toBe(422);
      expect(res.headers.get("idempotent-replayed")).toBeNull();
      const text = await res.text();
      expect(text).not.toBe(answer);
      expect(JSON.parse(text)).toMatchObject({ error: { code: "idempotency_key_reused" } });
    };

    it("another user of the same service key gets a 422, not user A's answer", async () => {
      const { key, answer } = await serviceKeyAfterUserA("scoped-user");
      await reused(await chat(key, body, { "idempotency-key": "scoped-user", "x-budget-user": "bob" }), answer);
      // The user may also come from the body: the resolved user is what counts.
      await reused(await chat(key, { ...body, user: "bob" }, { "idempotency-key": "scoped-user" }), answer);
    });

    it("another route or another body with the same key is a 422", async () => {
      const { key, answer } = await serviceKeyAfterUserA("scoped-route");
      const responses = await call("/v1/responses", {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json", "idempotency-key": "scoped-route", "x-budget-user": "alice" },
        body: JSON.stringify({ model: "mock-small", input: "Hello", max_output_tokens: 20 }),
      });
      await reused(responses, answer);
      const otherBody = { ...body, messages: [{ role: "user", content: "Something else entirely" }] };
      await reused(await chat(key, otherBody, { "idempotency-key": "scoped-route", "x-budget-user": "alice" }), answer);
      await reused(await chat(key, body, { "idempotency-key": "scoped-route", "x-budget-user": "alice", "x-budget-feature": "other" }), answer);
    });

    it("the same request again still replays", async () => {
      const { t, key, answer } = await serviceKeyAfterUserA("scoped-same");
      const retry = await chat(key, body, { "idempotency-key": "scoped-same", "x-budget-user": "alice" });
      expect(retry.status).toBe(200);
      expect(retry.headers.get("idempotent-replayed")).toBe("true");
      expect(await retry.text()).toBe(answer);
      expect((await ledger(t).counter("tenant", today())).requests).toBe(1);
    });
  });
});
