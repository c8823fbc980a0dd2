/**
 * The scheduled handler: each cron declared in wrangler.toml maps to a named
 * job, one module each. Jobs only start a sweep in the tenant directory; the
 * directory's alarm does the fan-out in bounded batches, so a cron run stays
 * short however many tenants there are.
 */
import { loadConfig } from "../config";
import type { Env } from "../env";
import { alertSweep } from "./alert-sweep";
import { dailyClose } from "./daily-close";
import { monthlyClose } from "./monthly-close";

/** A cron job. */
export interface CronJob {
  name: string;
  run(env: Env, scheduledTime: number): Promise<void>;
}

/** Cron expression (exactly as in wrangler.toml) to job. */
export const CRON_JOBS: Readonly<Record<string, CronJob>> = {
  "0 0 * * *": dailyClose,
  "0 0 1 * *": monthlyClose,
  "*/5 * * * *": alertSweep,
};

/** Runs the job for `controller.cron`. */
export async function scheduled(controller: ScheduledController, env: Env, _ctx: ExecutionContext): Promise<void> {
  loadConfig(env);
  const job = CRON_JOBS[controller.cron];
  if (!job) {
    console.error(JSON.stringify({ level: "error", msg: "cron: no job for this schedule", cron: controller.cron }));
    return;
  }
  await job.run(env, controller.scheduledTime);
  console.log(JSON.stringify({ level: "info", msg: "cron", job: job.name, at: new Date(controller.scheduledTime).toISOString() }));
}
