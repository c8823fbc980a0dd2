/**
 * Exact token counts with js-tiktoken. Constructing an encoder costs ~1.1 s
 * and ~67 MB (o200k), so each is built lazily, once per isolate, on first use:
 * never at start-up and never on the common request path.
 */
import type { Tiktoken } from "js-tiktoken/lite";

/** Encodings the exact tier supports. */
export type ExactEncoding = "o200k_base" | "cl100k_base";

const encoders = new Map<ExactEncoding, Promise<Tiktoken>>();
const loaded = new Set<ExactEncoding>();

async function load(encoding: ExactEncoding): Promise<Tiktoken> {
  const { Tiktoken: Encoder } = await import("js-tiktoken/lite");
  const ranks =
    encoding === "o200k_base"
      ? (await import("js-tiktoken/ranks/o200k_base")).default
      : (await import("js-tiktoken/ranks/cl100k_base")).default;
  const enc = new Encoder(ranks);
  loaded.add(encoding);
  return enc;
}

function encoder(encoding: ExactEncoding): Promise<Tiktoken> {
  let e = encoders.get(encoding);
  if (!e) {
    e = load(encoding);
    encoders.set(encoding, e);
    e.catch(() => encoders.delete(encoding));
  }
  return e;
}

/** The exact number of tokens of `text`; special-token text counts as ordinary text. */
export async function countTokensExact(text: string, encoding: ExactEncoding): Promise<number> {
  if (text.length === 0) return 0;
  return (await encoder(encoding)).encode(text, [], []).length;
}

/** Whether an encoder has been constructed in this isolate (tests assert the common path never does). */
export function isEncoderLoaded(encoding: ExactEncoding): boolean {
  return loaded.has(encoding);
}
