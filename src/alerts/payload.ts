/**
 * The webhook payload: a `text` line Slack posts as-is, plus the structured
 * fields a program needs, and an HMAC-SHA256 signature over the exact body.
 */

/** Kinds of alert. */
export type AlertKind =
  | "soft_limit"
  | "tenant_90"
  | "hard_limit"
  | "spend_spike"
  | "burn_forecast"
  | "burst_started"
  | "burst_exhausted"
  | "commitment_underuse"
  | "commitment_overrun";

/** Structured alert fields. */
export interface AlertFields {
  /** Stable id: receivers dedupe on it. */
  id: string;
  tenant: string;
  kind: AlertKind;
  scope: string;
  window: string;
  threshold: number | null;
  spentUsd: number;
  limitUsd: number | null;
  resetAt: string | null;
  createdAt: string;
  detail?: string;
}

const usd = (v: number) => `$${v.toFixed(v < 1 ? 4 : 2)}`;

/** One human line per alert, for Slack and e-mail bridges. */
export function alertText(a: AlertFields): string {
  const where = `${a.tenant} · ${a.scope} · ${a.window}`;
  const of = a.limitUsd === null ? usd(a.spentUsd) : `${usd(a.spentUsd)} of ${usd(a.limitUsd)}`;
  switch (a.kind) {
    case "soft_limit":
      return `:warning: budget-guard: ${where} passed ${Math.round((a.threshold ?? 0) * 100)}% (${of}).`;
    case "tenant_90":
      return `:warning: budget-guard: tenant ${a.tenant} is at 90% of its ${a.window} budget (${of}).`;
    case "hard_limit":
      return `:no_entry: budget-guard: ${where} reached its limit (${of}); calls are blocked until ${a.resetAt ?? "the reset"}.`;
    case "spend_spike":
      return `:rotating_light: budget-guard: spend spike on ${a.tenant}: ${a.detail ?? of}.`;
    case "burn_forecast":
      return `:chart_with_upwards_trend: budget-guard: at this pace ${a.tenant} runs out of its monthly budget on ${a.detail ?? "?"} (${of}).`;
    case "burst_started":
      return `:moneybag: budget-guard: ${where} started drawing on burst pool ${a.detail ?? ""} (${of}).`;
    case "burst_exhausted":
      return `:moneybag: budget-guard: burst pool ${a.detail ?? ""} of ${where} is used up (${of}).`;
    case "commitment_underuse":
      return `:chart_with_downwards_trend: budget-guard: ${a.tenant} is projected to use less than 90% of its commitment this month (${a.detail ?? of}).`;
    case "commitment_overrun":
      return `:chart_with_upwards_trend: budget-guard: ${a.tenant} is projected to exceed its commitment by more than 10% this month (${a.detail ?? of}).`;
  }
}

/** The JSON body POSTed to a webhook. */
export function alertBody(a: AlertFields): string {
  return JSON.stringify({ text: alertText(a), alert: a });
}

/** `sha256=<hex>` HMAC of `body` with `secret`, sent as `X-Budget-Signature`. */
export async function signBody(body: string, secret: string): Promise<string> {
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(body)));
  let hex = "";
  for (const b of mac) hex += b.toString(16).padStart(2, "0");
  return `sha256=${hex}`;
}

/** Retry delay after `attempts` failures: 10 s doubling, capped at an hour. */
export function backoffMs(attempts: number): number {
  return Math.min(3_600_000, 10_000 * 2 ** Math.max(0, attempts - 1));
}

/** Attempts before a delivery is marked failed (about a day of retries). */
export const MAX_ATTEMPTS = 12;
