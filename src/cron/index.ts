/**
 * The scheduled handler: each declared cron maps to a named job. The window
 * close and alert sweep jobs land with their own issue; until then they log
 * that they ran, and nothing depends on them (windows are keyed, not reset).
 */
import type { Env } from "../env";

/** Cron expression (as in wrangler.toml) to job name. */
export const CRON_JOBS: Readonly<Record<string, string>> = {
  "0 0 * * *": "daily-close",
  "0 0 1 * *": "monthly-close",
  "*/5 * * * *": "alert-sweep",
};

/** Runs the job for `controller.cron`. */
export async function scheduled(controller: ScheduledController, _env: Env, _ctx: ExecutionContext): Promise<void> {
  const job = CRON_JOBS[controller.cron];
  console.log(
    JSON.stringify({
      level: "info",
      msg: "cron",
      cron: controller.cron,
      job: job ?? "unknown",
      at: new Date(controller.scheduledTime).toISOString(),
    }),
  );
}
