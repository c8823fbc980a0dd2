/**
 * The tenant's `commitment` field through the admin API: validated (a 400
 * naming the failing field), stored and returned, removable with null,
 * operator only (a tenant admin's PATCH is a 403), absent on a tenant that
 * never set one.
 */
import { describe, expect, it } from "vitest";
import { admin, createKey, createTenant } from "../helpers/guard";

type ErrorBody = { error: { code: string; message: string; details?: { field: string; message: string }[] } };

describe("commitment validation", () => {
  const bad: [string, unknown, string][] = [
    ["a zero discount", { monthlyUsd: 100, discountPct: 0 }, "commitment.discountPct"],
    ["a 100% discount", { monthlyUsd: 100, discountPct: 100 }, "commitment.discountPct"],
    ["a negative discount", { monthlyUsd: 100, discountPct: -5 }, "commitment.discountPct"],
    ["a discount finer than a basis point", { monthlyUsd: 100, discountPct: 33.333 }, "commitment.discountPct"],
    ["a discount as a string", { monthlyUsd: 100, discountPct: "25" }, "commitment.discountPct"],
    ["a missing discount", { monthlyUsd: 100 }, "commitment.discountPct"],
    ["a zero commitment", { monthlyUsd: 0, discountPct: 25 }, "commitment.monthlyUsd"],
    ["a negative commitment", { monthlyUsd: -1, discountPct: 25 }, "commitment.monthlyUsd"],
    ["a missing commitment amount", { discountPct: 25 }, "commitment.monthlyUsd"],
    ["an unknown field", { monthlyUsd: 100, discountPct: 25, currency: "EUR" }, "commitment"],
    ["not an object", 100, "commitment"],
  ];
  for (const [name, commitment, field] of bad) {
    it(`400 for ${name}, naming ${field}`, async () => {
      const t = await createTenant();
      for (const [method, path] of [
        ["PATCH", `/tenants/${t}`],
        ["PUT", `/tenants/${t}`],
      ] as const) {
        const res = await admin(method, path, { commitment });
        expect(res.status).toBe(400);
        const b = (await res.json()) as ErrorBody;
        expect(b.error.code).toBe("validation_failed");
        expect(b.error.details?.map((d) => d.field)).toContain(field);
      }
      // Nothing was stored.
      expect(await (await admin("GET", `/tenants/${t}`)).json()).not.toHaveProperty("commitment");
    });
  }
});

describe("commitment is operator only", () => {
  it("the operator sets, reads and removes it; a tenant admin's PATCH is a 403", async () => {
    const t = await createTenant();
    expect(await (await admin("GET", `/tenants/${t}`)).json()).not.toHaveProperty("commitment");

    const set = await admin("PATCH", `/tenants/${t}`, { commitment: { monthlyUsd: 1000, discountPct: 33.33 } });
    expect(set.status).toBe(200);
    expect(((await set.json()) as { commitment: unknown }).commitment).toEqual({ monthlyUsd: 1000, discountPct: 33.33 });

    const key = await createKey(t, { name: "a", role: "admin" });
    const denied = await admin("PATCH", `/tenants/${t}`, { commitment: { monthlyUsd: 1, discountPct: 99 } }, key);
    expect(denied.status).toBe(403);
    expect(((await denied.json()) as ErrorBody).error.details).toEqual([{ field: "commitment", message: "operator only" }]);
    // Removing it is a change too.
    expect((await admin("PATCH", `/tenants/${t}`, { commitment: null }, key)).status).toBe(403);
    expect(((await (await admin("GET", `/tenants/${t}`, undefined, key)).json()) as { commitment: unknown }).commitment).toEqual({
      monthlyUsd: 1000,
      discountPct: 33.33,
    });

    const cleared = await admin("PATCH", `/tenants/${t}`, { commitment: null });
    expect(((await cleared.json()) as { commitment: unknown }).commitment).toBeNull();
  });

  it("PUT replaces it like any field: absent means none", async () => {
    const t = await createTenant({ commitment: { monthlyUsd: 10, discountPct: 25 } });
    expect(((await (await admin("GET", `/tenants/${t}`)).json()) as { commitment: unknown }).commitment).toEqual({
      monthlyUsd: 10,
      discountPct: 25,
    });
    await admin("PUT", `/tenants/${t}`, { name: "again" });
    expect(await (await admin("GET", `/tenants/${t}`)).json()).not.toHaveProperty("commitment");
  });
});
