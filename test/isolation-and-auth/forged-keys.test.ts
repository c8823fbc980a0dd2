/** Trust suite: forged keys. Each test names the protection it proves; removing it makes the test fail. */
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { TenantLedger } from "../../src/ledger/tenant-ledger";
import { chat } from "../helpers/guard";
import { ledger, hello, restoreAfterEach } from "../helpers/traffic";

restoreAfterEach();

describe("forged keys", () => {
  it("a key naming a tenant that does not exist leaves no storage behind", async () => {
    const name = `ghost-${Date.now().toString(36)}`;
    for (let i = 0; i < 3; i++)
      expect((await chat(`bg_${name}_${"Q".repeat(32)}`, { model: "mock-small", ...hello, max_tokens: 5 })).status).toBe(401);
    const tables = await runInDurableObject(ledger(name), (_i: TenantLedger, s) =>
      s.storage.sql.exec(`SELECT name FROM sqlite_master WHERE type = 'table'`).toArray(),
    );
    expect(tables).toEqual([]);
  });
});
