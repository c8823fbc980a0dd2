/**
 * The learned output estimate (DESIGN "Cost ceilings": output ceilings): an
 * uncapped call is reserved, and forwarded with a cap, at the 95th percentile
 * of recent guard-capped completions of its model. Samples live in memory
 * (`LedgerState.outputSamples`), are written to the model's `output_samples`
 * row when a settle teaches them, and are re-read from it on a miss.
 */
import type { Ledger } from "./state";

/** Output tokens reserved for an uncapped request before the tenant has history for the model. */
const DEFAULT_EXPECTED_OUTPUT = 1024;
/** The learned estimate never drops below this (nor the tenant's minOutputTokens): an uncapped call is forwarded with it as its cap. */
const OUTPUT_FLOOR = 256;
/** Samples kept per model. */
export const OUTPUT_SAMPLES = 200;

/** The model's samples, newest first (loaded from storage once). */
function samples(l: Ledger, model: string): number[] {
  let s = l.state.outputSamples.get(model);
  if (!s) {
    s = l.store.outputSamples(model).slice(0, OUTPUT_SAMPLES);
    l.state.outputSamples.set(model, s);
  }
  return s;
}

/**
 * Adds settled calls' per-choice completions (oldest first) to the model's
 * samples, in memory and in its storage row (one row written however many).
 * Runs inside the settling transaction.
 */
export function learnOutput(l: Ledger, model: string, ...tokens: number[]): void {
  if (tokens.length === 0) return;
  const s = samples(l, model);
  for (const t of tokens) s.unshift(t);
  if (s.length > OUTPUT_SAMPLES) s.length = OUTPUT_SAMPLES;
  l.store.saveOutputSamples(model, s);
}

/**
 * Output tokens per choice for an uncapped call: the 95th percentile of recent
 * guard-capped completions for the model (a default before there is history),
 * never below the floor (the tenant's minOutputTokens, at least OUTPUT_FLOOR) nor above the model's maximum.
 */
export function expectedOutput(l: Ledger, model: string, modelMax: number, minOutputTokens: number): number {
  const s = samples(l, model);
  const floor = Math.max(OUTPUT_FLOOR, minOutputTokens);
  let estimate = DEFAULT_EXPECTED_OUTPUT;
  if (s.length >= 20) {
    const sorted = [...s].sort((a, b) => a - b);
    estimate = sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.95))] ?? DEFAULT_EXPECTED_OUTPUT;
  }
  return Math.min(Math.max(floor, estimate), modelMax);
}
