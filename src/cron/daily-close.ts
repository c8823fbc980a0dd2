/**
 * Daily close: sweep every tenant so ended windows roll up into history and
 * old detail is pruned. Each tenant's own alarm already closes its day at its
 * local midnight; this sweep is the backstop that also re-arms any tenant
 * whose alarm was lost.
 */
import { DIRECTORY_NAME } from "../directory/tenant-directory";
import { GLOBAL_NAME } from "../global/global-ledger";
import type { CronJob } from "./index";

/** The `0 0 * * *` job. */
export const dailyClose: CronJob = {
  name: "daily-close",
  async run(env) {
    await env.TENANT_DIRECTORY.getByName(DIRECTORY_NAME).startSweep("close");
    // The global windows roll over by key like the tenants'; the close prunes ended ones and finished leases.
    await env.GLOBAL_LEDGER.getByName(GLOBAL_NAME).close();
  },
};
