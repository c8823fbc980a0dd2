/**
 * Byte-pair merge of ONE pre-tokenizer piece in O(n log n), with exactly js-tiktoken's result.
 *
 * js-tiktoken's `bytePairMerge` rescans every adjacent pair after each merge and rebuilds a
 * string key per pair, which is quadratic: 10,000 × "a" took ~20 s. This is the same
 * algorithm (repeatedly merge the adjacent pair whose concatenation has the lowest rank, the
 * leftmost on a tie, until no pair is a token) driven by a binary heap with lazy deletion:
 * a merge only changes the pairs on either side of it, so only those are re-ranked.
 *
 * A pair's rank depends only on its two parts, and every part is a token, so ranks are
 * memoised by (left rank, right rank) per call: a run of one character re-ranks the same few
 * pairs, and needs no string key after the first.
 */

/** Rank table as js-tiktoken keeps it: a token's UTF-8 bytes joined by "," -> rank. */
export type RankMap = ReadonlyMap<string, number>;

const BYTE_KEY = Array.from({ length: 256 }, (_, i) => String(i));
/** Heap keys are rank * 2^32 + start: the smallest rank first, then the leftmost pair. */
const START_SPAN = 2 ** 32;
/** Ranks are below 2^18 in cl100k/o200k; the memo key packs two of them. */
const RANK_SPAN = 2 ** 21;

function keyOf(bytes: Uint8Array, from: number, to: number): string {
  let key = BYTE_KEY[bytes[from]!]!;
  for (let i = from + 1; i < to; i++) key += "," + BYTE_KEY[bytes[i]!]!;
  return key;
}

/**
 * Number of tokens the byte-pair merge of `bytes` (one pre-tokenizer piece) produces with
 * `ranks`, identical to js-tiktoken's `bytePairEncode(bytes).length`. `memo` may be shared
 * across calls with the same `ranks` (it maps a pair of part ranks to the merged rank or -1).
 */
export function bpeTokenCount(bytes: Uint8Array, ranks: RankMap, memo: Map<number, number>): number {
  const n = bytes.length;
  if (n <= 1) return n;
  if (ranks.has(keyOf(bytes, 0, n))) return 1;
  // Parts are identified by their first byte; partRank < 0 marks a byte absorbed by a merge.
  const partRank = new Int32Array(n);
  const next = new Int32Array(n);
  const prev = new Int32Array(n);
  const pairRank = new Int32Array(n); // rank of (part at s) + (next part), -1 if not a token
  for (let i = 0; i < n; i++) {
    // Every single byte is a token of a byte-level BPE; a missing one would make the piece
    // unencodable, so count its bytes (the most it could cost) rather than guess.
    const r = ranks.get(BYTE_KEY[bytes[i]!]!);
    if (r === undefined) return n;
    partRank[i] = r;
    next[i] = i + 1;
    prev[i] = i - 1;
  }
  let heap = new Float64Array(Math.max(16, n));
  let size = 0;

  const rankPair = (s: number): number => {
    const mid = next[s]!;
    if (mid >= n) return -1;
    const memoKey = partRank[s]! * RANK_SPAN + partRank[mid]!;
    let r = memo.get(memoKey);
    if (r === undefined) {
      r = ranks.get(keyOf(bytes, s, next[mid]!)) ?? -1;
      memo.set(memoKey, r);
    }
    return r;
  };
  const push = (key: number): void => {
    if (size === heap.length) {
      const grown = new Float64Array(heap.length * 2);
      grown.set(heap);
      heap = grown;
    }
    let i = size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent]!;
      if (p <= key) break;
      heap[i] = p;
      i = parent;
    }
    heap[i] = key;
  };
  const popMin = (): number => {
    const top = heap[0]!;
    const last = heap[--size]!;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= size) break;
      if (child + 1 < size && heap[child + 1]! < heap[child]!) child++;
      if (heap[child]! >= last) break;
      heap[i] = heap[child]!;
      i = child;
    }
    heap[i] = last;
    return top;
  };
  const rerank = (s: number): void => {
    const r = rankPair(s);
    pairRank[s] = r;
    if (r >= 0) push(r * START_SPAN + s);
  };

  for (let s = 0; s + 1 < n; s++) rerank(s);
  pairRank[n - 1] = -1;
  let parts = n;
  while (size > 0) {
    const key = popMin();
    const rank = Math.floor(key / START_SPAN);
    const s = key - rank * START_SPAN;
    // Stale entry: the part was absorbed, or its pair changed since (a part only grows, so
    // its pair never returns to an earlier rank: ranks are unique per byte string).
    if (partRank[s]! < 0 || pairRank[s] !== rank) continue;
    const mid = next[s]!;
    const end = next[mid]!;
    partRank[s] = rank;
    partRank[mid] = -1;
    next[s] = end;
    if (end < n) prev[end] = s;
    parts--;
    rerank(s);
    const before = prev[s]!;
    if (before >= 0) rerank(before);
  }
  return parts;
}
