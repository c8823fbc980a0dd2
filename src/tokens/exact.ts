/**
 * Exact token counts with js-tiktoken, the slow tier behind the pre-flight estimate
 * (estimate.ts). Constructing an encoder costs ~1 s of CPU and ~67 MB for o200k_base (the
 * rank table is a 2.3 MB string that is decoded into two Maps), so each encoding is built
 * lazily, at most once per isolate, on first use: never at module load and never on the
 * common request path, which only needs the cheap upper bound.
 *
 * Everything js-tiktoken is reached through dynamic `import()` (the type import below is
 * erased), so the rank modules are not even evaluated until the first exact count. Wrangler's
 * esbuild bundles those package modules into the worker and evaluates them on that call.
 */
import type { Tiktoken } from "js-tiktoken/lite";

/** Encodings the exact tier supports. */
export type ExactEncoding = "o200k_base" | "cl100k_base";

/** One construction per encoding per isolate; concurrent callers share the pending promise. */
const encoders = new Map<ExactEncoding, Promise<Tiktoken>>();
const loaded = new Set<ExactEncoding>();

async function load(encoding: ExactEncoding): Promise<Tiktoken> {
  const [{ Tiktoken: Encoder }, ranks] = await Promise.all([
    import("js-tiktoken/lite"),
    encoding === "o200k_base"
      ? import("js-tiktoken/ranks/o200k_base").then((m) => m.default)
      : import("js-tiktoken/ranks/cl100k_base").then((m) => m.default),
  ]);
  const encoder = new Encoder(ranks);
  loaded.add(encoding);
  return encoder;
}

function encoderFor(encoding: ExactEncoding): Promise<Tiktoken> {
  let pending = encoders.get(encoding);
  if (pending === undefined) {
    pending = load(encoding);
    encoders.set(encoding, pending);
    // A failed load (e.g. exceeded CPU) must not poison the isolate: the next call retries.
    pending.catch(() => encoders.delete(encoding));
  }
  return pending;
}

/**
 * The exact number of tokens js-tiktoken produces for `text` with `encoding`.
 *
 * Special-token text in user input ("<|endoftext|>", "<|fim_prefix|>"...) is counted as the
 * ordinary text it is, never as a special token and never throwing: js-tiktoken's default
 * `disallowedSpecial = "all"` would throw on it, so we pass `encode(text, [], [])`.
 * The first call per encoding per isolate pays the construction cost (~1 s for o200k).
 */
export async function countTokensExact(text: string, encoding: ExactEncoding): Promise<number> {
  if (text.length === 0) return 0;
  const encoder = await encoderFor(encoding);
  return encoder.encode(text, [], []).length;
}

/**
 * Whether `encoding`'s encoder has been constructed in this isolate. For tests asserting that
 * the common path (the estimate alone) never pays for it.
 */
export function isEncoderLoaded(encoding: ExactEncoding): boolean {
  return loaded.has(encoding);
}
