/**
 * Stored context (DESIGN "Cost ceilings": "Stateful context counts"). A
 * Responses call with `previous_response_id` or `conversation` is billed, as
 * input, for the whole context the provider stored: the guard keeps the token
 * total of every response it settled, and of every conversation it added to,
 * and adds it to the next call's input bound. A context it has not recorded
 * (made elsewhere, expired here, or a stored `prompt`, whose size the guard
 * never sees) is unknown: the call is refused unless `maxRequestUsd` covers it.
 *
 * The `contexts` and `context_uses` tables are `storage/contexts.ts`.
 */
import type { Usage } from "../pricing/cost";
import type { ContextStore } from "./storage/contexts";
import type { ContextRef, SettleRequest } from "./types";

/** What {@link contextTokens} found: the tokens to add to the input bound, or the first context it does not know. */
export type ContextLookup = { tokens: number } | { unknown: ContextRef };

/**
 * The stored context a call reuses, in tokens, or the first reference the
 * guard cannot bound. Stored prompts are never visible to the guard: always unknown.
 */
export function contextTokens(store: ContextStore, refs: readonly ContextRef[] | undefined): ContextLookup {
  let tokens = 0;
  for (const ref of refs ?? []) {
    const t = ref.kind === "prompt" ? null : store.tokens(ref.kind === "previous_response" ? "response" : "conversation", ref.id);
    if (t === null) return { unknown: ref };
    tokens += t;
  }
  return { tokens };
}

/** The message of the 400 for an unknown context (rendered in the route's dialect). */
export function unknownContextMessage(ref: ContextRef): string {
  const what =
    ref.kind === "prompt"
      ? `the stored prompt "${ref.id}" (the guard cannot see its size)`
      : ref.kind === "previous_response"
        ? `previous_response_id "${ref.id}" (not a response this guard forwarded in the last 30 days)`
        : `conversation "${ref.id}" (no response through this guard added to it in the last 30 days)`;
  return `The guard cannot bound the stored context of ${what}. Send the context as input instead, or set maxRequestUsd on the tenant, user or feature to allow such calls (reserved in full).`;
}

/**
 * Tokens a call adds to what the provider stores, beyond the `counted` context
 * it reused. A provider-reported input already includes that context (OpenAI
 * bills it as input again), so only the excess is new; a guard-counted usage
 * (estimated, partial, ceiling) never saw it, so all of its input is new.
 */
export function addedTokens(usage: Usage, outcome: SettleRequest["outcome"], counted: number): number {
  const input =
    usage.inputTokens + usage.cachedInputTokens + usage.cacheWriteTokens + (usage.cacheWrite1hTokens ?? 0) + (usage.audioInputTokens ?? 0);
  const fresh = outcome === "ok" ? Math.max(0, input - counted) : input;
  return fresh + usage.outputTokens;
}
