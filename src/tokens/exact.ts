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
import { bpeTokenCount, type RankMap } from "./bpe";

/** Encodings the exact tier supports. */
export type ExactEncoding = "o200k_base" | "cl100k_base";

/** One construction per encoding per isolate; concurrent callers share the pending promise. */
const encoders = new Map<ExactEncoding, Promise<Loaded>>();
const loaded = new Set<ExactEncoding>();

/** An encoder and its pre-tokenizer (the same pattern js-tiktoken splits text with). */
interface Loaded {
  encoder: Tiktoken;
  pieces: RegExp;
}

async function load(encoding: ExactEncoding): Promise<Loaded> {
  const [{ Tiktoken: Encoder }, ranks] = await Promise.all([
    import("js-tiktoken/lite"),
    encoding === "o200k_base"
      ? import("js-tiktoken/ranks/o200k_base").then((m) => m.default)
      : import("js-tiktoken/ranks/cl100k_base").then((m) => m.default),
  ]);
  const encoder = new Encoder(ranks);
  loaded.add(encoding);
  return { encoder, pieces: new RegExp(ranks.pat_str, "gu") };
}

function encoderFor(encoding: ExactEncoding): Promise<Loaded> {
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
 * Pre-tokenizer pieces up to this many UTF-16 units go through js-tiktoken itself. Its
 * byte-pair merge is quadratic in the piece length (10,000 × "a" took ~20 s), so a longer
 * piece is merged by bpe.ts instead: the same algorithm and result in O(n log n).
 */
export const MAX_PIECE = 64;
/**
 * A piece longer than this is merged in chunks of this size, which bounds the memory of one
 * merge (~20 bytes per byte of the chunk) and lets a run of one character reuse a chunk's
 * count. Cutting a piece changes which merges happen near the cut and can LOWER the count
 * (measured: up to 2 tokens at one cut, over ~11k random pieces), so each cut adds
 * CUT_MARGIN tokens, four times the worst seen. Real text almost never has a 16k-char piece.
 */
export const CHUNK = 16_384;
export const CUT_MARGIN = 8;

/** js-tiktoken keeps its ranks on the instance; read them defensively (not a public field). */
function rankMapOf(encoder: Tiktoken): RankMap | undefined {
  const field: unknown = Reflect.get(encoder, "rankMap");
  return field instanceof Map ? (field as RankMap) : undefined;
}

const utf8 = new TextEncoder();

/**
 * Tokens of one long piece: bpe.ts on chunks of CHUNK units (never splitting a surrogate
 * pair), plus CUT_MARGIN per cut. Without the rank table (a js-tiktoken change) the piece's
 * UTF-8 byte count, the most a byte-level BPE can produce.
 */
function longPieceTokens(piece: string, ranks: RankMap | undefined, memo: LongPieceMemo): number {
  if (ranks === undefined) return utf8.encode(piece).length;
  let total = 0;
  for (let from = 0; from < piece.length;) {
    let to = Math.min(from + CHUNK, piece.length);
    const last = piece.charCodeAt(to - 1);
    if (to < piece.length && last >= 0xd800 && last <= 0xdbff) to--; // keep the pair whole
    const chunk = to - from === piece.length ? piece : piece.slice(from, to);
    let n = memo.chunks.get(chunk);
    if (n === undefined) {
      n = bpeTokenCount(utf8.encode(chunk), ranks, memo.pairs);
      if (memo.chunks.size >= 64) memo.chunks.clear();
      memo.chunks.set(chunk, n);
    }
    total += n;
    if (to < piece.length) total += CUT_MARGIN;
    from = to;
  }
  return total;
}

interface LongPieceMemo {
  chunks: Map<string, number>;
  pairs: Map<number, number>;
}

/**
 * Number of tokens js-tiktoken produces for `text` with `encoding`: exact for every piece up
 * to CHUNK units (so for all ordinary text), an upper bound beyond; O(n log n) in all cases.
 *
 * Text between long pieces is encoded by js-tiktoken as it is, one call per stretch (a
 * stretch starts and ends at piece boundaries, so its pieces are the ones the whole text
 * has); each piece longer than MAX_PIECE is merged by bpe.ts, which test/tokens/exact.test.ts
 * checks against js-tiktoken piece by piece.
 *
 * Special-token text in user input ("<|endoftext|>", "<|fim_prefix|>"...) is counted as the
 * ordinary text it is, never as a special token and never throwing: js-tiktoken's default
 * `disallowedSpecial = "all"` would throw on it, so we pass `encode(text, [], [])`.
 * The first call per encoding per isolate pays the construction cost (~1 s for o200k).
 */
export async function countTokensExact(text: string, encoding: ExactEncoding): Promise<number> {
  if (text.length === 0) return 0;
  const { encoder, pieces } = await encoderFor(encoding);
  const encode = (s: string): number => encoder.encode(s, [], []).length;
  if (text.length <= MAX_PIECE) return encode(text);
  let total = 0;
  let stretchStart = 0;
  let memo: LongPieceMemo | undefined;
  let ranks: RankMap | undefined;
  pieces.lastIndex = 0;
  for (let m = pieces.exec(text); m !== null; m = pieces.exec(text)) {
    const piece = m[0];
    if (piece.length === 0) {
      pieces.lastIndex++; // the pattern cannot match empty, but never spin if it did
      continue;
    }
    if (piece.length <= MAX_PIECE) continue;
    if (m.index > stretchStart) total += encode(text.slice(stretchStart, m.index));
    if (memo === undefined) {
      memo = { chunks: new Map(), pairs: new Map() };
      ranks = rankMapOf(encoder);
    }
    total += longPieceTokens(piece, ranks, memo);
    stretchStart = m.index + piece.length;
  }
  if (stretchStart < text.length) total += encode(text.slice(stretchStart));
  return total;
}

/**
 * Whether `encoding`'s encoder has been constructed in this isolate. For tests asserting that
 * the common path (the estimate alone) never pays for it.
 */
export function isEncoderLoaded(encoding: ExactEncoding): boolean {
  return loaded.has(encoding);
}
