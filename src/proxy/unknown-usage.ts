/**
 * Settling a call whose provider usage never arrived (a stream cut before its
 * usage event, a JSON answer with no or malformed usage, an upstream timeout).
 *
 * DESIGN "Cost ceilings": what the guard cannot measure it settles at the
 * ceiling (the whole reservation), never at a guess below it. It measures a
 * call exactly only when everything billed is in what it saw: the model hides
 * no output (no hidden reasoning), the tokenizer is the provider's own (not
 * the Claude or Gemini approximation), and the input has no part the guard only bounds
 * from outside (remote files, stored context, built-in tool calls, cache
 * writes, background work). Then input is counted exactly and output is the
 * visible text counted exactly: the provider billed at most that.
 */
import type { ContextRef } from "../ledger/types";
import type { Usage } from "../pricing/cost";
import { hidesOutput } from "../pricing/reasoning";
import { exactInputTokens, isApproximate, type InputPieces } from "../tokens/inputs";
import { countTokensExact } from "../tokens/exact";
import type { ModelRoute } from "./providers/registry";
import type { Body } from "./routes/spec";

/** No tokens: with outcome `ceiling` the ledger charges the whole reservation. */
export const NO_USAGE: Usage = { inputTokens: 0, cachedInputTokens: 0, cacheWriteTokens: 0, outputTokens: 0 };

/** What decides whether a call can be measured exactly. */
export interface CallBounds {
  pieces: InputPieces;
  context: readonly ContextRef[];
  toolCalls: Readonly<Record<string, number>>;
  cacheTtl: "5m" | "1h" | null;
  serviceTier: string | null;
  background: boolean;
}

/** How the forward step settles a call without usage. */
export interface Measure {
  /** True when {@link measurableCall} holds: counted exactly, else the ceiling. */
  exact: boolean;
  pieces: InputPieces;
  encoding: ModelRoute["encoding"];
  /** The tier the call asked for, so a counted settle is priced at that tier's multiplier. */
  serviceTier: string | null;
}

/** Whether the guard could measure the cost of a call to `target` with `body` exactly from what it sees. */
export function measurableCall(target: ModelRoute, body: Body, call: CallBounds): boolean {
  return (
    !hidesOutput(target.priceKey, body) &&
    !isApproximate(target.encoding) &&
    call.pieces.unbounded.length === 0 &&
    call.context.length === 0 &&
    Object.values(call.toolCalls).every((n) => n <= 0) &&
    call.cacheTtl === null &&
    !call.background
  );
}

/** The measure for a call (see {@link measurableCall}). */
export function measureOf(target: ModelRoute, body: Body, call: CallBounds): Measure {
  return { exact: measurableCall(target, body, call), pieces: call.pieces, encoding: target.encoding, serviceTier: call.serviceTier };
}

/**
 * The settlement of a call whose usage is unknown, given the text it produced:
 * an exact count (outcome `counted`) where the call is measurable, else the ceiling.
 */
export async function unknownUsage(
  m: Measure,
  generated: string,
  counted: "partial" | "estimated",
): Promise<{ usage: Usage; outcome: "partial" | "estimated" | "ceiling" }> {
  // measurableCall excludes approximate encodings, so the encoding here is an exact one.
  if (!m.exact || isApproximate(m.encoding)) return { usage: NO_USAGE, outcome: "ceiling" };
  const usage: Usage = {
    inputTokens: await exactInputTokens(m.pieces, m.encoding),
    cachedInputTokens: 0,
    cacheWriteTokens: 0,
    outputTokens: await countTokensExact(generated, m.encoding),
  };
  if (m.pieces.audioTokens > 0) usage.audioInputTokens = m.pieces.audioTokens;
  if (m.serviceTier !== null) usage.serviceTier = m.serviceTier;
  return { usage, outcome: counted };
}
