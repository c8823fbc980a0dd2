/**
 * The list cost in storage (schema v10): a `list_cost` column on the hourly
 * rollups, written by the upsert a settle already makes (no extra row per
 * request), null on rows from before v10 and read there as the net cost.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { migrate, SCHEMA_VERSION } from "../../src/ledger/schema";
import type { TenantLedger } from "../../src/ledger/tenant-ledger";
import { admin } from "../helpers/guard";
import { restoreAfterEach } from "../helpers/traffic";
import { ledger, rollupCosts, spend, sql, tenantWith } from "./setup";

restoreAfterEach();

describe("list cost in the rollups", () => {
  // The edge path batches rows differently (one flush per settle): the count is the object path's.
  it.skipIf(env.ALLOWANCES !== "off")("a discounted call writes exactly as many rows as a list-priced one", async () => {
    const rowsOf = async (config: Record<string, unknown>) => {
      const { t, key } = await tenantWith(config);
      expect((await spend(key, 10)).status).toBe(200); // warm: the rollup row, counters and samples exist
      const before = (await ledger(t).stats()).rowsWritten;
      expect((await spend(key, 10)).status).toBe(200);
      return (await ledger(t).stats()).rowsWritten - before;
    };
    const list = await rowsOf({});
    const net = await rowsOf({ commitment: { monthlyUsd: 10, discountPct: 25 } });
    expect(net).toBe(list);
  });

  it("a row from before v10 (list_cost null) reads as list = net and keeps adding up", async () => {
    const { t, key } = await tenantWith({ commitment: { monthlyUsd: 10, discountPct: 25 } });
    expect((await spend(key, 400)).status).toBe(200);
    // As if that call had settled before the column existed, at list price (no commitment then).
    await sql(t, `UPDATE rollups SET list_cost = NULL, cost = 4000`);
    await sql(t, `UPDATE counters SET spent = 4000 WHERE scope = 'tenant'`);
    expect((await spend(key, 400)).status).toBe(200);
    expect(await rollupCosts(t)).toEqual({ net: 7_000, list: 8_000 });
    const month = (await (await admin("GET", `/tenants/${t}/usage?period=month`)).json()) as {
      commitment: { listUsd: number; netUsd: number; savingsUsd: number };
    };
    expect(month.commitment).toMatchObject({ listUsd: 0.008, netUsd: 0.007, savingsUsd: 0.001 });
  });

  it("migration v10 adds the column to an object made before it, once", async () => {
    const { t } = await tenantWith({});
    const out = await runInDurableObject(ledger(t), (_i: TenantLedger, s) => {
      const db = s.storage.sql;
      db.exec(`ALTER TABLE rollups DROP COLUMN list_cost`);
      db.exec(`UPDATE meta SET value = '9' WHERE key = 'schema_version'`);
      const columns = () =>
        db
          .exec(`PRAGMA table_info(rollups)`)
          .toArray()
          .map((c) => c.name);
      const before = columns().includes("list_cost");
      const version = migrate(db);
      db.exec(`UPDATE meta SET value = '9' WHERE key = 'schema_version'`);
      migrate(db); // a migration interrupted half-way runs again
      return { before, after: columns().filter((c) => c === "list_cost"), version };
    });
    expect(out).toEqual({ before: false, after: ["list_cost"], version: SCHEMA_VERSION });
  });
});
