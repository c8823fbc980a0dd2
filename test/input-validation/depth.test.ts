/**
 * Trust suite: JSON nested deeper than 64 levels is a 400 `input_too_deep` in the route's
 * dialect, before anything reaches the provider or the ledger (20,000 levels used to be a 500).
 */
import { describe, expect, it } from "vitest";
import { call } from "../helpers/guard";
import { ledger, restoreAfterEach, setup, today, useUpstream, ZERO } from "../helpers/traffic";

restoreAfterEach();

/** `{"a":{"a":...1...}}` with `levels` objects, written as text (JSON.stringify would recurse). */
function nested(levels: number): string {
  return '{"a":'.repeat(levels - 1) + "{}" + "}".repeat(levels - 1);
}

/**
 * A body whose deepest value sits `levels` below the top-level object: the nesting goes into
 * a tool's JSON-schema `parameters`, where real clients put their deepest structures.
 * Top-level object (1) > tools (2) > [0] (3) > function (4) > parameters (5) > ...
 */
function bodyFor(path: string, levels: number): string {
  const deep = nested(levels - 4);
  if (path === "/v1/messages") {
    // Top-level (1) > tools (2) > [0] (3) > input_schema (4) > ...
    return `{"model":"claude-haiku-4-5","max_tokens":10,"messages":[{"role":"user","content":"hi"}],"tools":[{"name":"f","description":"d","input_schema":${nested(levels - 3)}}]}`;
  }
  return `{"model":"gpt-4o-mini","max_tokens":10,"messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"f","parameters":${deep}}}]}`;
}

async function send(path: string, key: string, body: string): Promise<Response> {
  return call(path, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body,
  });
}

describe("JSON nesting depth", () => {
  const routes = ["/v1/chat/completions", "/v1/messages"] as const;

  it.each(routes.flatMap((path) => [65, 200, 20_000].map((levels) => [path, levels] as const)))(
    "%s nested %i deep → 400 input_too_deep, nothing forwarded or spent",
    async (path, levels) => {
      const upstream = useUpstream(() => Response.json({ error: { message: "must not be called" } }, { status: 500 }));
      const { t, key } = await setup();
      const res = await send(path, key, bodyFor(path, levels));
      expect(res.status).toBe(400);
      const body = (await res.json()) as Record<string, unknown>;
      if (path === "/v1/messages") {
        expect(body).toMatchObject({ type: "error", error: { type: "invalid_request_error", message: expect.stringContaining("64") } });
      } else {
        expect(body).toMatchObject({ error: { code: "input_too_deep", param: "body", message: expect.stringContaining("64") } });
      }
      expect(upstream.calls).toHaveLength(0);
      expect(await ledger(t).counter("tenant", today())).toEqual(ZERO);
    },
  );

  it.each(routes)("%s nested exactly 64 deep passes the check and is forwarded", async (path) => {
    // The provider answers 503: enough to prove the request got past the guard's input checks.
    const upstream = useUpstream(() => Response.json({ error: { message: "overloaded" } }, { status: 503 }));
    const { key } = await setup();
    const res = await send(path, key, bodyFor(path, 64));
    expect(res.status).toBe(503);
    expect(upstream.calls).toHaveLength(1);
  });
});
