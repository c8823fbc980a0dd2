/**
 * client/schema.d.ts is generated from the client's part of openapi/v1.json
 * (whose own freshness test/openapi/snapshots.test.ts checks against the
 * worker) and stamped with that part's SHA-256: a change the client's types
 * should follow fails here until `npm run client:types` regenerates them.
 */
import { describe, expect, it } from "vitest";
import v1 from "../../openapi/v1.json";
import schemaText from "../../client/schema.d.ts?raw";
import { clientDocument } from "../../scripts/openapi-subset.mjs";

async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

describe("client types", () => {
  it("client/schema.d.ts is generated from the committed openapi/v1.json (stale? run npm run client:types)", async () => {
    const hash = await sha256(JSON.stringify(clientDocument(v1 as Record<string, unknown>)));
    expect(schemaText).toContain(`Source sha256 ${hash}`);
  });

  it("the client's operations are all in the document", () => {
    const doc = clientDocument(v1 as Record<string, unknown>) as { paths: Record<string, Record<string, { operationId: string }>> };
    const ids = Object.values(doc.paths).flatMap((item) => Object.values(item).map((op) => op.operationId));
    expect(ids.sort()).toEqual(["commitReservation", "createReservation", "getBudget", "recordUsage", "releaseReservation"]);
  });
});
