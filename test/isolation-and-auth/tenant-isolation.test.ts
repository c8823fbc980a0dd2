/** Trust suite: tenant isolation. Each test names the protection it proves; removing it makes the test fail. */
import { describe, expect, it } from "vitest";
import { admin, call, chat, createKey, createTenant } from "../helpers/guard";
import { today, ledger, hello, ZERO, restoreAfterEach } from "../helpers/traffic";

restoreAfterEach();

describe("tenant isolation", () => {
  it("keys of tenant A reach nothing of tenant B's, on every route", async () => {
    const A = await createTenant({ limits: { daily: 1 } });
    const B = await createTenant({ limits: { daily: 1 } });
    const adminA = await createKey(A, { name: "a", role: "admin" });
    const userA = await createKey(A, { name: "u", role: "user", userId: "ua" });
    const keyB = ((await (await admin("POST", `/tenants/${B}/keys`, { name: "b", role: "user", userId: "ub" })).json()) as { id: string })
      .id;
    const routes: [string, string, unknown][] = [
      ["GET", `/tenants/${B}`, undefined],
      ["PATCH", `/tenants/${B}`, { upgradeMessage: "x" }],
      ["PUT", `/tenants/${B}`, {}],
      ["DELETE", `/tenants/${B}`, undefined],
      ["PUT", `/tenants/${B}/users/ub`, { tier: "x" }],
      ["PUT", `/tenants/${B}/features/f`, {}],
      ["POST", `/tenants/${B}/keys`, { name: "evil", role: "admin" }],
      ["GET", `/tenants/${B}/keys`, undefined],
      ["DELETE", `/tenants/${B}/keys/${keyB}`, undefined],
      ["GET", `/tenants/${B}/usage`, undefined],
      ["GET", `/tenants/${B}/review`, undefined],
      ["GET", `/tenants/${B}/alerts`, undefined],
      ["GET", `/tenants/${B}/audit`, undefined],
      ["POST", `/tenants/${B}/unfreeze`, undefined],
      ["GET", `/global`, undefined],
    ];
    for (const [method, path, body] of routes) {
      for (const k of [adminA, userA]) {
        const res = await admin(method, path, body, k);
        expect([method, path, res.status]).toEqual([method, path, 403]);
      }
    }
    // LLM routes are scoped by the key: A's budget view names only A, and a user key cannot speak for another user.
    const budget = (await (await call("/v1/budget", { headers: { authorization: `Bearer ${userA}` } })).json()) as {
      scopes: { id: string; scope: string }[];
    };
    expect(budget.scopes.filter((s) => s.scope === "tenant").map((s) => s.id)).toEqual([A, A]);
    expect((await chat(userA, { model: "mock-small", ...hello, max_tokens: 5 }, { "x-budget-user": "ub" })).status).toBe(403);
    // B is untouched.
    expect(await ledger(B).counter("tenant", today())).toEqual(ZERO);
    expect((await admin("GET", `/tenants/${B}/keys`)).status).toBe(200);
  });
});
