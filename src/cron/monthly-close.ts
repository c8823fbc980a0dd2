/**
 * Monthly close: the same sweep as the daily close (a tenant's close handles
 * both windows), kept as its own job so the schedule in wrangler.toml maps
 * one-to-one and the month's close is logged as such.
 */
import { DIRECTORY_NAME } from "../directory/tenant-directory";
import type { CronJob } from "./index";

/** The `0 0 1 * *` job. */
export const monthlyClose: CronJob = {
  name: "monthly-close",
  async run(env) {
    await env.TENANT_DIRECTORY.getByName(DIRECTORY_NAME).startSweep("close");
  },
};
