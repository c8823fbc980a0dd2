/**
 * The budget headers every allowed or blocked LLM response carries: where the
 * caller stands (`X-Budget-*`), the same in the IETF RateLimit fields, and
 * timing (`Server-Timing`).
 */
import { isoSeconds } from "../budget/windows";
import type { BudgetPosition, WarningOut } from "../ledger/types";

const usd = (micros: number) => (micros / 1_000_000).toFixed(6).replace(/\.?0+$/, "") || "0";

function policyName(p: Pick<BudgetPosition, "scope" | "window">): string {
  return `${p.scope}-${p.window}`;
}

/** `X-Budget-*` and `RateLimit*` headers for a budget position (null: no limit applies). */
export function positionHeaders(p: BudgetPosition | null, now: number): Record<string, string> {
  if (!p) return { "X-Budget-Scope": "none" };
  const resetSeconds = Math.max(0, Math.ceil((p.resetAt - now) / 1000));
  const windowSeconds = p.window === "daily" ? 86_400 : 2_592_000;
  return {
    "X-Budget-Limit-Usd": usd(p.limit),
    "X-Budget-Remaining-Usd": usd(p.remaining),
    "X-Budget-Scope": `${p.scope}:${p.window}`,
    "X-Budget-Reset": isoSeconds(p.resetAt),
    // IETF draft-ietf-httpapi-ratelimit-headers, with quota units of micro-USD.
    "RateLimit-Policy": `"${policyName(p)}";q=${p.limit};w=${windowSeconds};qu="micro-usd"`,
    RateLimit: `"${policyName(p)}";r=${p.remaining};t=${resetSeconds}`,
  };
}

/** `X-Budget-Warning: user:daily 85% used, tenant:monthly 81% used`. */
export function warningHeader(warnings: readonly WarningOut[]): string | null {
  if (warnings.length === 0) return null;
  return warnings.map((w) => `${w.scope}:${w.window} ${w.pct}% used`).join(", ");
}

/** Headers of a budget block: position plus the retry hints the official SDKs honour. */
export function blockHeaders(p: BudgetPosition, now: number): Record<string, string> {
  return {
    ...positionHeaders(p, now),
    "Retry-After": String(Math.max(1, Math.ceil((p.resetAt - now) / 1000))),
    "x-should-retry": "false",
  };
}

/** Milliseconds spent in each phase of a request. */
export interface Timing {
  guard: number;
  ledger: number;
  upstream?: number;
}

/** `Server-Timing: guard;dur=0.041, ledger;dur=0.8, upstream;dur=120.3`. */
export function serverTiming(t: Timing): string {
  const f = (n: number) => (Math.round(n * 1000) / 1000).toString();
  const parts = [`guard;dur=${f(t.guard)}`, `ledger;dur=${f(t.ledger)}`];
  if (t.upstream !== undefined) parts.push(`upstream;dur=${f(t.upstream)}`);
  return parts.join(", ");
}
