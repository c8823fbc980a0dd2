/**
 * Azure OpenAI as operator data: the `AZURE_OPENAI` var lists resources, each
 * with its endpoint, the secret that holds its `api-key`, and its deployments
 * by name → the model each one runs (which is what the call is priced as).
 *
 * The operator's config, not a tenant's: the worker resolves a deployment
 * before the tenant's object is asked anything (tenant config lives in the
 * object, and routing must not cost an RPC), the same way `PROVIDERS` works;
 * and the Azure key is the operator's secret. Tenants price the model behind a
 * deployment with `prices` under the model's own name.
 *
 * ```json
 * [{"resource": "my-east", "keySecret": "AZURE_OPENAI_API_KEY",
 *   "deployments": {"prod-4o": "gpt-4o", "embed": "text-embedding-3-small"}}]
 * ```
 */
import { z } from "zod";

/** Azure deployment names: letters, digits, `-`, `_` and `.`, up to 64 characters. */
export const DEPLOYMENT_NAME = /^[A-Za-z0-9._-]{1,64}$/;

const resourceSchema = z
  .object({
    /** The resource name: the endpoint is `https://{resource}.openai.azure.com`. */
    resource: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{1,62}$/)
      .optional(),
    /** A full endpoint instead (a custom domain, a regional proxy); the guard appends `/openai/...`. */
    baseUrl: z.string().url().optional(),
    /** Secret holding the resource's `api-key`. */
    keySecret: z
      .string()
      .regex(/^[A-Z0-9_]{1,64}$/)
      .default("AZURE_OPENAI_API_KEY"),
    deployments: z.record(z.string().regex(DEPLOYMENT_NAME), z.string().min(1).max(200)),
  })
  .strict()
  .refine((r) => (r.resource === undefined) !== (r.baseUrl === undefined), "give exactly one of resource and baseUrl");

/** One Azure OpenAI resource as configured. */
export type AzureResource = z.infer<typeof resourceSchema>;

/** The `AZURE_OPENAI` var: a JSON array of resources; a deployment name may appear in one resource only. */
export const azureResourcesSchema = z
  .preprocess(
    (v) => {
      if (typeof v !== "string") return v ?? [];
      try {
        return JSON.parse(v) as unknown;
      } catch {
        return v;
      }
    },
    z.array(resourceSchema).max(32),
  )
  .refine((list) => {
    const names = list.flatMap((r) => Object.keys(r.deployments));
    return new Set(names).size === names.length;
  }, "a deployment name may appear in one resource only");

/** The endpoint of a resource, without a trailing slash. */
export function azureEndpoint(r: AzureResource): string {
  return (r.baseUrl ?? `https://${r.resource}.openai.azure.com`).replace(/\/+$/, "");
}

/** The resource and model of a deployment, or undefined when no resource lists it. */
export function findDeployment(resources: readonly AzureResource[], name: string): { resource: AzureResource; model: string } | undefined {
  for (const resource of resources) {
    const model = Object.hasOwn(resource.deployments, name) ? resource.deployments[name] : undefined;
    if (model !== undefined) return { resource, model };
  }
  return undefined;
}

/** A deployment that runs `model`, for degrading a call to a cheaper model on the same resources. */
export function deploymentOf(resources: readonly AzureResource[], model: string): string | undefined {
  for (const r of resources) {
    for (const [name, m] of Object.entries(r.deployments)) if (m === model) return name;
  }
  return undefined;
}
