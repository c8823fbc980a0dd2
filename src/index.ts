/** Worker entry: the HTTP app, the cron handler, and the Durable Object classes. */
import { app } from "./app";
import { scheduled } from "./cron";
import type { Env } from "./env";

export { GlobalLedger } from "./global/global-ledger";
export { TenantDirectory } from "./directory/tenant-directory";
export { TenantLedger } from "./ledger/tenant-ledger";

export default {
  fetch: app.fetch,
  scheduled,
} satisfies ExportedHandler<Env>;
