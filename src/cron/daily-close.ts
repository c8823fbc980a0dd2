/**
 * Daily close: sweep every tenant so ended windows roll up into history and
 * old detail is pruned. Each tenant's own alarm already closes its day at its
 * local midnight; this sweep is the backstop that also re-arms any tenant
 * whose alarm was lost.
 */
import { DIRECTORY_NAME } from "../directory/tenant-directory";
import type { CronJob } from "./index";

/** The `0 0 * * *` job. */
export const dailyClose: CronJob = {
  name: "daily-close",
  async run(env) {
    await env.TENANT_DIRECTORY.getByName(DIRECTORY_NAME).startSweep("close");
  },
};
