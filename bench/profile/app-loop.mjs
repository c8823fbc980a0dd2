/**
 * The whole request through the Hono app (`app.fetch`), in Node: the same
 * middleware, routing, guard and forward code as in the Worker, with the
 * ledger stub and global fetch replaced (the stub is never called on the local
 * path; fetch answers the mock upstream's JSON). Compared with a floor that
 * builds the same Request, reads its body and returns a Response, which is
 * roughly what the pass-through Worker does per request, and `GET /health` (Hono
 * routing plus the request middleware, no guard work).
 */
import { FEATURE, guardEnv, snapshot, upstreamAnswer } from "./fixture.mjs";

/** Returns { guard, floor } closures for one size (async; each one request). */
export async function appLoop(m, s) {
  let reserves = 0;
  const stub = {
    reserve: async () => {
      reserves++;
      throw new Error("profile: reserve called (the request left the edge path)");
    },
    whoami: async () => ({ tenantId: "bench" }),
    acquireAllowance: async () => ({ grant: snapshot(Date.now()) }),
    flushAllowance: async () => ({ grant: snapshot(Date.now()) }),
  };
  const env = guardEnv({ getByName: () => stub });
  const ctx = { waitUntil: (p) => void Promise.resolve(p).catch(() => {}), passThroughOnException() {} };
  const answer = upstreamAnswer(s.bytes.length);
  globalThis.fetch = async (_url, init) => {
    if (init?.body === undefined) throw new Error("profile: no upstream body");
    return new Response(answer, { status: 200, headers: { "content-type": "application/json", "x-request-id": "req_bench1" } });
  };
  const headers = { authorization: `Bearer ${s.key}`, "content-type": "application/json", "x-budget-feature": FEATURE };
  const now = Date.now();
  const subject = m.subjectKey("bench", s.keyHash, null, null, FEATURE);
  m.registry.get(subject).current = new m.HeldAllowance(snapshot(now), now);
  const request = () => new Request("http://guard/v1/chat/completions", { method: "POST", headers, body: s.bytes });
  const quiet = console.log;
  const guard = async () => {
    m.markVerified(s.keyHash, Date.now());
    console.log = () => {};
    try {
      const res = await m.app.fetch(request(), env, ctx);
      const text = await res.text();
      if (res.status !== 200) throw new Error(`profile: guard answered ${res.status}: ${text.slice(0, 300)}`);
      return text.length;
    } finally {
      console.log = quiet;
    }
  };
  const floor = async () => {
    const req = request();
    // The pass-through hands the bytes on unread; buffering them here is the closest Node floor.
    const up = await fetch("http://upstream/v1/chat/completions", { method: "POST", body: await req.arrayBuffer() });
    return new Response(await up.text(), { headers: up.headers }).text();
  };
  // Routing and the request middleware alone (loadConfig is cached per env, as in an isolate).
  const health = async () => (await m.app.fetch(new Request("http://guard/health"), env, ctx)).text();
  return { guard, floor, health, reserves: () => reserves };
}
