/**
 * Alert sweep (every 5 minutes): visits only the tenants the directory lists
 * as having undelivered alerts, in case a tenant's own alarm (which normally
 * sends within seconds and retries with backoff) was lost.
 */
import { DIRECTORY_NAME } from "../directory/tenant-directory";
import type { CronJob } from "./index";

/** The `*\/5 * * * *` job. */
export const alertSweep: CronJob = {
  name: "alert-sweep",
  async run(env) {
    await env.TENANT_DIRECTORY.getByName(DIRECTORY_NAME).startSweep("alerts");
  },
};
