/** Trust suite: secrets. Each test names the protection it proves; removing it makes the test fail. */
import { beforeEach, describe, expect, it, vi } from "vitest";
import { sha256Hex } from "../../src/auth/keys";
import { ADMIN_TOKEN, admin, call, chat, mockUpstream } from "../helpers/guard";
import { hello, setup, withEnv, post, restoreAfterEach, upstreamSlot } from "../helpers/traffic";

restoreAfterEach();

describe("secrets", () => {
  let logs: string[] = [];
  beforeEach(() => {
    logs = [];
    for (const m of ["log", "error", "warn", "info", "debug"] as const) {
      vi.spyOn(console, m).mockImplementation(
        (...a: unknown[]) => void logs.push(a.map((x) => (typeof x === "string" ? x : JSON.stringify(x))).join(" ")),
      );
    }
  });

  it("never appear in a response, a log line or an error", async () => {
    // A hostile upstream that quotes the credentials it was sent.
    upstreamSlot.current = mockUpstream((req) =>
      Response.json(
        { error: { message: `bad key ${req.headers.get("authorization")} / ${req.headers.get("x-api-key")}` } },
        { status: 401 },
      ),
    );
    const { t, key } = await setup();
    const bodies: string[] = [];
    const record = async (r: Response) => {
      bodies.push(await r.text());
      bodies.push(JSON.stringify([...r.headers]));
    };
    await record(await chat(key, { model: "gpt-4o-mini", ...hello, max_tokens: 10 }));
    await record(
      await call("/v1/messages", {
        method: "POST",
        headers: { "x-api-key": key, "content-type": "application/json" },
        body: JSON.stringify({ model: "claude-sonnet-4-5", max_tokens: 5, ...hello }),
      }),
    );
    await record(await chat(`${key.slice(0, -1)}X`, { model: "mock-small", ...hello, max_tokens: 10 }));
    await record(await chat(key, { model: "mock-small", ...hello, max_tokens: 10 }));
    await record(await admin("GET", `/tenants/${t}/keys`));
    await record(await admin("GET", `/tenants/${t}/audit`));
    await record(await admin("GET", `/tenants/${t}`, undefined, "wrong-token"));
    await new Promise((r) => setTimeout(r, 50));
    const everything = [...bodies, ...logs].join("\n");
    for (const secret of ["sk-test-openai-secret", "sk-ant-test-secret", ADMIN_TOKEN, key, key.slice(-32), await sha256Hex(key)]) {
      expect(everything).not.toContain(secret);
    }
    expect(bodies.join("\n")).toContain("[redacted]");
  });

  it("prompts and completions are logged only when the operator opts in", async () => {
    const { key } = await setup();
    const canary = "CANARY-PROMPT-7f3a";
    const { path, ...init } = post(key, { model: "mock-small", messages: [{ role: "user", content: canary }], max_tokens: 5 });
    await withEnv({}, path, init);
    expect(logs.join("\n")).not.toContain(canary);
    expect(logs.join("\n")).toContain('"msg":"request"');
    await withEnv({ LOG_PROMPTS: "true" }, path, init);
    expect(logs.join("\n")).toContain(canary);
  });

  it("logs one structured line per request", async () => {
    const { t, key } = await setup();
    const { path, ...init } = post(key, { model: "mock-small", ...hello, max_tokens: 5 }, { "x-budget-feature": "chat" });
    await withEnv({}, path, init);
    const lines = logs.filter((l) => l.includes('"msg":"request"')).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      requestId: expect.any(String),
      tenant: t,
      user: "u",
      feature: "chat",
      model: "mock-small",
      provider: "mock",
      decision: "allowed",
      estimateUsd: expect.any(Number),
      settledUsd: expect.any(Number),
      guardMs: expect.any(Number),
      upstreamMs: expect.any(Number),
      status: 200,
    });
  });
});
