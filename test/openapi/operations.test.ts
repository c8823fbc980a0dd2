/**
 * Both OpenAPI documents are 3.1 and every operation has what a client
 * generator needs: an operationId (camelCase, unique), a summary, a security
 * requirement naming declared schemes. Routes mounted later are held to it too.
 */
import { OpenAPIHono, createRoute, z } from "@hono/zod-openapi";
import { describe, expect, it } from "vitest";
import { adminDocument } from "../../src/openapi/admin-document";
import { v1Document } from "../../src/openapi/v1-document";
import { proxyRoutes } from "../../src/proxy";
import { DOCUMENTS, fetchDocument, operationProblems, operations } from "../helpers/openapi";

describe("every operation", () => {
  for (const { name, url } of DOCUMENTS) {
    it(`${name}: OpenAPI 3.1 with a server, and an operationId, summary and security on every operation`, async () => {
      const doc = await fetchDocument(url);
      expect(doc.openapi).toBe("3.1.0");
      expect(doc.servers?.[0]?.url).toMatch(/^\{origin\}\/(admin\/)?v1$/);
      expect(operations(doc).length).toBeGreaterThan(5);
      expect(operationProblems(doc)).toEqual([]);
    });
  }

  it("a route registered without an operationId (or summary) is reported", () => {
    const app = new OpenAPIHono().openapi(
      createRoute({
        method: "get",
        path: "/tenants/{t}/new-thing",
        request: { params: z.object({ t: z.string() }) },
        responses: { 200: { description: "ok" } },
      }),
      (c) => c.body(null, 200),
    );
    expect(operationProblems(adminDocument(app))).toEqual([
      "GET /tenants/{t}/new-thing: no operationId",
      "GET /tenants/{t}/new-thing: no summary",
    ]);
  });

  it("a route with its own empty security, or an undeclared scheme, is reported", () => {
    const route = (path: string, security: Record<string, string[]>[]) =>
      createRoute({ method: "get", path, operationId: path.slice(1), summary: "x", security, responses: { 200: { description: "ok" } } });
    const app = new OpenAPIHono()
      .openapi(route("/open", []), (c) => c.body(null, 200))
      .openapi(route("/other", [{ sessionCookie: [] }]), (c) => c.body(null, 200));
    expect(operationProblems(adminDocument(app))).toEqual([
      "GET /open: no security requirement",
      "GET /other: security scheme sessionCookie is not declared",
    ]);
  });
});

describe("the /v1 document", () => {
  it("describes every LLM route the proxy serves", async () => {
    const doc = await fetchDocument("/v1/openapi.json");
    const documented = new Set(operations(doc).map((o) => `${o.method} ${o.path}`));
    const served = proxyRoutes.routes
      .filter((r) => r.path !== "/*" && r.method !== "ALL")
      .map((r) => `${r.method.toLowerCase()} ${r.path}`);
    expect(served.length).toBeGreaterThanOrEqual(6);
    expect(served.filter((r) => !documented.has(r))).toEqual([]);
  });

  it("includes the OpenAPIHono routes mounted under /v1, with their components, and nothing outside /v1", () => {
    const root = new OpenAPIHono();
    const reservation = z.object({ id: z.string() }).openapi("TestReservation");
    const sub = new OpenAPIHono().openapi(
      createRoute({
        method: "post",
        path: "/reservations",
        operationId: "testReserve",
        summary: "Reserve",
        responses: { 201: { description: "Held", content: { "application/json": { schema: reservation } } } },
      }),
      (c) => c.json({ id: "r1" }, 201),
    );
    sub.openAPIRegistry.registerComponent("headers", "X-Test", { description: "a test header", schema: { type: "string" } });
    const other = new OpenAPIHono().openapi(
      createRoute({ method: "get", path: "/elsewhere", operationId: "elsewhere", summary: "x", responses: { 200: { description: "ok" } } }),
      (c) => c.body(null, 200),
    );
    root.route("/v1", sub).route("/admin/v1", other);
    const doc = v1Document(root);
    expect(doc.paths?.["/reservations"]?.post?.operationId).toBe("testReserve");
    expect(doc.paths?.["/chat/completions"]?.post?.operationId).toBe("createChatCompletion");
    expect(Object.keys(doc.paths ?? {}).some((p) => p.includes("elsewhere"))).toBe(false);
    expect(doc.components?.schemas?.TestReservation).toBeDefined();
    expect(doc.components?.headers?.["X-Test"]).toBeDefined();
  });
});
