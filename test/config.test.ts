/** Deployment safety: the public dev operator token is refused by a deployed worker. */
import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../src/index";

function adminCall(overrides: Record<string, string>) {
  const request = new Request("https://guard.test/admin/v1/tenants/acme", { headers: { authorization: "Bearer dev-admin-token" } });
  return worker.fetch(request, { ...env, ...overrides }, createExecutionContext());
}

describe("dev operator token", () => {
  it("is refused when ENVIRONMENT=production", async () => {
    const res = await adminCall({ ENVIRONMENT: "production", ADMIN_TOKEN: "dev-admin-token" });
    expect(res.status).toBe(401);
  });
  it("is accepted in local development", async () => {
    const res = await adminCall({ ENVIRONMENT: "development", ADMIN_TOKEN: "dev-admin-token" });
    expect(res.status).toBe(404); // authenticated; the tenant simply does not exist
  });
});
