import type { TenantDirectory } from "./directory/tenant-directory";
import type { GlobalLedger } from "./global/global-ledger";
import type { TenantLedger } from "./ledger/tenant-ledger";

/** Bindings, vars and secrets as the runtime hands them over (validated once by `config.ts`). */
export interface Env {
  TENANT_LEDGER: DurableObjectNamespace<TenantLedger>;
  TENANT_DIRECTORY: DurableObjectNamespace<TenantDirectory>;
  GLOBAL_LEDGER: DurableObjectNamespace<GlobalLedger>;
  ENVIRONMENT?: string;
  MOCK_PROVIDER?: string;
  ADMIN_TOKEN?: string;
  OPENAI_API_KEY?: string;
  ANTHROPIC_API_KEY?: string;
  OPENAI_BASE_URL?: string;
  ANTHROPIC_BASE_URL?: string;
  [secret: string]: unknown;
}
