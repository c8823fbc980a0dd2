/**
 * The committed documents (openapi/admin.json, openapi/v1.json) are what the
 * worker serves now: `npm test` lints those files with Redocly and clients are
 * generated from them, so a stale file fails here. `npm run openapi:write`
 * regenerates both.
 */
import { describe, expect, it } from "vitest";
import { DOCUMENTS, fetchDocument } from "../helpers/openapi";

describe("committed OpenAPI documents", () => {
  for (const { name, url, file } of DOCUMENTS) {
    it(`openapi/${name}.json is what ${url} serves (stale? run npm run openapi:write)`, async () => {
      const doc = await fetchDocument(url);
      await expect(`${JSON.stringify(doc, null, 2)}\n`).toMatchFileSnapshot(file);
    });
  }
});
