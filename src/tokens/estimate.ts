/**
 * Pre-flight token estimate: a conservative UPPER bound on the number of tokens that BOTH
 * `o200k_base` and `cl100k_base` (as implemented by js-tiktoken) produce for a text, computed
 * in one left-to-right pass with no allocation per character and no regular expressions.
 *
 * How it stays an upper bound:
 * - It replays, in a small state machine, the pre-tokenizer both encodings share: words of
 *   letters with at most one leading non-letter ("␣the", ".map", "(self"), split where o200k
 *   splits camelCase; digit groups of at most 3; runs of symbols with an optional leading
 *   space and trailing newlines; whitespace runs whose last space joins the next word. BPE
 *   never merges across these pieces, so the total is the sum of per-piece bounds (where
 *   cl100k's pieces are coarser, camelCase and contractions, a margin covers the difference).
 * - A piece that is itself a token of both vocabularies costs exactly 1. Those are looked up in
 *   generated tables (estimate-data.ts: ~42k frequent English words, code identifiers and
 *   common French/German/Spanish/Italian/Portuguese words in their " word"/"word"/" Word"/
 *   "Word"/".word"... forms, and all ~4.4k symbol tokens) by a 62-bit hash computed while
 *   scanning. A lead + known word is 2 where that was verified for every ASCII lead.
 * - Any other word costs 1 plus a per-letter-pair surcharge, fitted by linear programming
 *   as an upper envelope over ~290k random strings (uniform letters in any case, pronounceable
 *   gibberish, words of seven European languages): a rare pair costs a whole token, common
 *   ones less. Random letters really are ~0.6-0.8 tokens per char, so without the tables
 *   an unknown word must be priced near that, which is why the tables matter for tightness.
 * - Symbols cost 1 per char beyond the first unless the run is a known token or a repeat
 *   ("-----" merges well; the repeat rates are measured); whitespace costs 1 per change of
 *   character and a measured fraction per repeat; every 1-3 digit group is exactly 1.
 * - A non-ASCII character costs what it costs on its own (1 to 4 tokens, from a generated
 *   table), never more than its UTF-8 byte count, which is the hard limit of a byte-level BPE.
 *   Merges across characters usually lower the count; the extra 1 per piece covers the rare
 *   case where a cross-character merge splits a character that was otherwise one token.
 * The bound is proven empirically, not formally: test/tokens/estimate.test.ts checks it against
 * both real encoders on a categorised corpus, generated pathological inputs and fast-check.
 */
import {
  KNOWN_OTHER_PIECES,
  KNOWN_SYMBOL_PIECES,
  KNOWN_WORD_STEMS,
  LEAD_WEIGHTS_64,
  LETTER_PAIR_WEIGHTS_64,
  NON_ASCII_RLE,
  REPEAT_WEIGHTS_64,
} from "./estimate-data";

/** Costs are summed in fixed point (1/64 token) and rounded up once at the end. */
const UNIT = 64;

// ASCII character classes.
const LOWER = 0;
const UPPER = 1;
const DIGIT = 2;
const SPACE = 3; // " " only: the one whitespace char that can lead a symbol run (` ?[^\s...]+`)
const HSPACE = 4; // \t \v \f: can lead a word but not a symbol run
const NEWLINE = 5; // \r \n: never leads anything
const SYMBOL = 6; // every other ASCII char, including control characters (not \s in JS)
const NON_ASCII = 7;

// Classes of non-ASCII code points, as stored in the generated table.
const NA_SYMBOL = 0;
const NA_LETTER = 1;
const NA_SPACE = 2;
const NA_DIGIT = 3; // \p{N} such as "²", "½", "٣": groups with ASCII digits in `\p{N}{1,3}`

/** Whitespace: any change of character may start a new token (random whitespace is ~1/char). */
const TRANSITION = UNIT;
/** "\r\n" is one token in both encodings... */
const CR_LF = 0;
/** ...but an isolated "\n\r" is 2. */
const LF_CR = UNIT;
/** Extra cost at a camelCase boundary next to a hump of <= 2 letters; see scanWord. */
const CAMEL_SHORT_HUMP = UNIT / 2;

/**
 * Lookup tables. Hot loops index them with `!`: every index is in range by construction
 * (ASCII codes < 128, code points < 0x20000 checked before, pair index < 3 * 676).
 */
interface Tables {
  ascii: Uint8Array; // 128 classes
  nonAscii: Uint8Array; // U+0000..U+1FFFF: standalone cost | class << 3 (ASCII entries unused)
  known: PieceTable; // one-token pieces; flag TIER2 on bare words safe behind any ASCII lead
  pair: Uint8Array; // 3*676 letter-pair surcharges, 1/64 token
  repeat: Uint8Array; // 128: surcharge for repeating the same symbol/whitespace char
  leadSpace: number;
  leadOther: number;
}

let tables: Tables | undefined;

/**
 * Pieces are identified by two independent 32-bit FNV-1a style hashes computed while scanning
 * (62 bits are kept: a false hit needs ~2^-62 bad luck per lookup). They live in an
 * open-addressing table of typed arrays: no allocation per lookup, and unlike a Set of
 * numbers no boxing of keys outside the small-integer range.
 */
const H1_SEED = 0x811c9dc5;
const H2_SEED = 0x3c6ef372;
const H1_MUL = 0x01000193;
const H2_MUL = 0x5bd1e995;
const KNOWN = 1;
const TIER2 = 2;

class PieceTable {
  /** Interleaved slots, one 8-byte slot per entry so a probe touches one cache line:
   * [2i] = h1, [2i + 1] = h2 with its low 2 bits replaced by the flags (0 = empty slot). */
  private readonly slots: Int32Array;
  private readonly mask: number;
  constructor(capacity: number) {
    let size = 1024;
    while (size < capacity * 1.5) size *= 2; // load factor <= 2/3 keeps probes short
    this.slots = new Int32Array(size * 2);
    this.mask = size - 1;
  }
  add(h1: number, h2: number, flags: number): void {
    const slots = this.slots;
    const tag = h2 & ~3;
    let i = (h1 ^ (h2 >>> 15)) & this.mask;
    for (;;) {
      const f = slots[2 * i + 1]! & 3;
      if (f === 0 || (slots[2 * i] === h1 && (slots[2 * i + 1]! & ~3) === tag)) {
        slots[2 * i] = h1;
        slots[2 * i + 1] = tag | f | flags;
        return;
      }
      i = (i + 1) & this.mask;
    }
  }
  /** Flags of the piece with these hashes, 0 if unknown. */
  get(h1: number, h2: number): number {
    const slots = this.slots;
    const tag = h2 & ~3;
    let i = (h1 ^ (h2 >>> 15)) & this.mask;
    for (;;) {
      const v = slots[2 * i + 1]!;
      if ((v & 3) === 0) return 0;
      if ((v & ~3) === tag && slots[2 * i] === h1) return v & 3;
      i = (i + 1) & this.mask;
    }
  }
}

/** Hashes of s[from, to) into the module-level pair (h1, h2) below; no allocation. */
let outH1 = 0;
let outH2 = 0;
function hashRange(s: string, from: number, to: number): void {
  let h1 = H1_SEED;
  let h2 = H2_SEED;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, H1_MUL);
    h2 = Math.imul(h2 ^ c, H2_MUL);
  }
  outH1 = h1;
  outH2 = h2;
}
function addPiece(table: PieceTable, piece: string, flags: number): void {
  hashRange(piece, 0, piece.length);
  table.add(outH1, outH2, flags);
}

/**
 * Built on first use (~20 ms of CPU once per isolate, ~0.7 MB), not at module load, so that
 * isolates which never estimate (or only import this module) do not pay for it.
 */
function init(): Tables {
  const ascii = new Uint8Array(128).fill(SYMBOL);
  for (let c = 97; c <= 122; c++) ascii[c] = LOWER;
  for (let c = 65; c <= 90; c++) ascii[c] = UPPER;
  for (let c = 48; c <= 57; c++) ascii[c] = DIGIT;
  ascii[32] = SPACE;
  ascii[9] = HSPACE;
  ascii[11] = HSPACE;
  ascii[12] = HSPACE;
  ascii[10] = NEWLINE;
  ascii[13] = NEWLINE;

  const nonAscii = new Uint8Array(0x20000);
  let at = 0x80;
  let p = 0;
  while (p < NON_ASCII_RLE.length) {
    const value = NON_ASCII_RLE.charCodeAt(p) - 48;
    const comma = NON_ASCII_RLE.indexOf(",", p);
    const len = parseInt(NON_ASCII_RLE.slice(p + 1, comma), 36);
    nonAscii.fill(value, at, at + len);
    at += len;
    p = comma + 1;
  }

  // Entry counts bound the table size; walking the "\n"-separated strings in place avoids
  // allocating ~40k substrings on the first call.
  let entries = KNOWN_SYMBOL_PIECES.length + 2;
  for (let i = KNOWN_OTHER_PIECES.indexOf("\n"); i >= 0; i = KNOWN_OTHER_PIECES.indexOf("\n", i + 1)) entries++;
  for (let i = -1; i < KNOWN_WORD_STEMS.length; i = KNOWN_WORD_STEMS.indexOf("\n", i + 1) >>> 0) {
    const bits = KNOWN_WORD_STEMS.charCodeAt(i + 1) - 0x40; // one entry per variant bit
    entries += (bits & 1) + ((bits >> 1) & 1) + ((bits >> 2) & 1) + ((bits >> 3) & 1);
  }
  const known = new PieceTable(entries);
  for (let from = 0; from < KNOWN_OTHER_PIECES.length;) {
    let to = KNOWN_OTHER_PIECES.indexOf("\n", from);
    if (to < 0) to = KNOWN_OTHER_PIECES.length;
    const tier2 = KNOWN_OTHER_PIECES.charCodeAt(to - 1) === 43; // trailing "+"
    hashRange(KNOWN_OTHER_PIECES, from, tier2 ? to - 1 : to);
    known.add(outH1, outH2, tier2 ? KNOWN | TIER2 : KNOWN);
    from = to + 1;
  }
  // Stems: flags char, then the lowercase word; see estimate-data.ts for the bits. One flat
  // loop hashes all four variants at once (" word", "word", " Word", "Word"): this runs once,
  // cold, and a single hot loop gets optimised far sooner than 40k small calls.
  const stems = KNOWN_WORD_STEMS;
  const n = stems.length;
  let bits = stems.charCodeAt(0) - 0x40;
  // Hash pairs of the four variants: a = " word", b = "word", c = " Word", d = "Word".
  let a1 = 0;
  let a2 = 0;
  let b1 = 0;
  let b2 = 0;
  let c1 = 0;
  let c2 = 0;
  let d1 = 0;
  let d2 = 0;
  let first = true;
  for (let i = 1; i <= n; i++) {
    const ch = i < n ? stems.charCodeAt(i) : 10;
    if (ch === 10) {
      if (bits & 1) known.add(a1, a2, KNOWN);
      if (bits & 2) known.add(b1, b2, bits & 16 ? KNOWN | TIER2 : KNOWN);
      if (bits & 4) known.add(c1, c2, KNOWN);
      if (bits & 8) known.add(d1, d2, bits & 32 ? KNOWN | TIER2 : KNOWN);
      if (i + 1 < n) bits = stems.charCodeAt(i + 1) - 0x40;
      i++; // skip the next entry's flags char
      first = true;
      continue;
    }
    if (first) {
      const up = ch - 32;
      a1 = Math.imul(Math.imul(H1_SEED ^ 32, H1_MUL) ^ ch, H1_MUL);
      a2 = Math.imul(Math.imul(H2_SEED ^ 32, H2_MUL) ^ ch, H2_MUL);
      b1 = Math.imul(H1_SEED ^ ch, H1_MUL);
      b2 = Math.imul(H2_SEED ^ ch, H2_MUL);
      c1 = Math.imul(Math.imul(H1_SEED ^ 32, H1_MUL) ^ up, H1_MUL);
      c2 = Math.imul(Math.imul(H2_SEED ^ 32, H2_MUL) ^ up, H2_MUL);
      d1 = Math.imul(H1_SEED ^ up, H1_MUL);
      d2 = Math.imul(H2_SEED ^ up, H2_MUL);
      first = false;
    } else {
      a1 = Math.imul(a1 ^ ch, H1_MUL);
      a2 = Math.imul(a2 ^ ch, H2_MUL);
      b1 = Math.imul(b1 ^ ch, H1_MUL);
      b2 = Math.imul(b2 ^ ch, H2_MUL);
      c1 = Math.imul(c1 ^ ch, H1_MUL);
      c2 = Math.imul(c2 ^ ch, H2_MUL);
      d1 = Math.imul(d1 ^ ch, H1_MUL);
      d2 = Math.imul(d2 ^ ch, H2_MUL);
    }
  }
  for (const entry of KNOWN_SYMBOL_PIECES) addPiece(known, entry, KNOWN);

  return {
    ascii,
    nonAscii,
    known,
    pair: Uint8Array.from(LETTER_PAIR_WEIGHTS_64),
    repeat: Uint8Array.from(REPEAT_WEIGHTS_64),
    leadSpace: LEAD_WEIGHTS_64[0] ?? UNIT,
    leadOther: LEAD_WEIGHTS_64[1] ?? UNIT,
  };
}

/** Code point at i (a lone surrogate stays as is; it costs like U+FFFD, 3 bytes). */
function codePointAt(s: string, i: number, n: number): number {
  const c = s.charCodeAt(i);
  if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
    const d = s.charCodeAt(i + 1);
    if (d >= 0xdc00 && d <= 0xdfff) return ((c - 0xd800) << 10) + (d - 0xdc00) + 0x10000;
  }
  return c;
}

/** Class of a code point: one of the ASCII classes, or NON_ASCII. */
function naClass(t: Tables, cp: number): number {
  // Planes 2+ are CJK ideographs (letters) up to U+3FFFF; the rest (tags, private use) symbols.
  if (cp >= 0x20000) return cp < 0x40000 ? NA_LETTER : NA_SYMBOL;
  return t.nonAscii[cp]! >> 3;
}
/** Standalone token cost of a non-ASCII code point, in UNITs. */
function naCost(t: Tables, cp: number): number {
  if (cp >= 0x20000) return 4 * UNIT; // 4 UTF-8 bytes, rarely merged
  return (t.nonAscii[cp]! & 7) * UNIT;
}
function isLetterAt(t: Tables, s: string, i: number, n: number): boolean {
  const c = s.charCodeAt(i);
  if (c < 128) return t.ascii[c]! <= UPPER;
  return naClass(t, codePointAt(s, i, n)) === NA_LETTER;
}
function isSymbolAt(t: Tables, s: string, i: number, n: number): boolean {
  const c = s.charCodeAt(i);
  if (c < 128) return t.ascii[c] === SYMBOL;
  return naClass(t, codePointAt(s, i, n)) === NA_SYMBOL;
}

// Scanners return the index after the piece and leave its cost here (avoids allocating pairs).
let pieceCost = 0;

/**
 * A word: letters (ASCII or not) after an optional lead char at `leadAt` (-1 for none).
 * Split into humps where o200k splits ("getElementById" -> get|Element|By|Id). Each hump is
 * 1 token if it is a known piece; "lead + known bare word" is 2 when that word was verified
 * to stay <= 2 behind every ASCII lead; otherwise 1 + the fitted surcharge per letter pair
 * (+ the lead), and every non-ASCII letter its standalone cost.
 */
function scanWord(t: Tables, s: string, start: number, n: number, leadAt: number): number {
  let cost = 0;
  let i = start;
  let lead = leadAt; // only the first hump carries the lead
  let leadCode = lead >= 0 ? s.charCodeAt(lead) : -1;
  let prevHumpLength = -1; // letters in the previous hump of this word, -1 for the first
  while (i < n) {
    // One hump.
    const humpStart = i;
    let h1 = H1_SEED;
    let h2 = H2_SEED;
    if (leadCode >= 0 && leadCode < 128) {
      h1 = Math.imul(h1 ^ leadCode, H1_MUL);
      h2 = Math.imul(h2 ^ leadCode, H2_MUL);
    }
    let surcharge = 0; // letter-pair surcharges, UNITs
    let nonAsciiCost = 0;
    let prev = -1; // previous ASCII letter class (LOWER/UPPER); -1 at the start, -2 after a non-ASCII letter
    let prevIdx = 0;
    let ended = false;
    while (i < n) {
      const c = s.charCodeAt(i);
      if (c < 128) {
        const k = t.ascii[c]!;
        if (k > UPPER) {
          ended = true;
          break;
        }
        if (k === UPPER && prev === LOWER) break; // camelCase boundary: next hump
        const idx = k === UPPER ? c - 65 : c - 97;
        if (prev === -2) {
          // After a non-ASCII letter no pair table applies: a whole token.
          surcharge += UNIT;
        } else if (prev >= 0) {
          // kind 0 = Upper->lower, 1 = Upper->Upper, 2 = lower->lower (lower->Upper split above)
          const kind = prev === LOWER ? 2 : k === LOWER ? 0 : 1;
          surcharge += t.pair[kind * 676 + prevIdx * 26 + idx]!;
        }
        h1 = Math.imul(h1 ^ c, H1_MUL);
        h2 = Math.imul(h2 ^ c, H2_MUL);
        prev = k;
        prevIdx = idx;
        i++;
      } else {
        const cp = codePointAt(s, i, n);
        if (naClass(t, cp) !== NA_LETTER) {
          ended = true;
          break;
        }
        nonAsciiCost += naCost(t, cp);
        prev = -2;
        i += cp > 0xffff ? 2 : 1;
      }
    }
    // Price the hump [humpStart, i).
    if (nonAsciiCost === 0) {
      if (leadCode < 0) {
        cost += t.known.get(h1, h2) !== 0 ? UNIT : UNIT + surcharge;
      } else if (leadCode < 128) {
        if (t.known.get(h1, h2) !== 0) cost += UNIT;
        else {
          hashRange(s, humpStart, i);
          if (t.known.get(outH1, outH2) & TIER2) cost += 2 * UNIT;
          else cost += UNIT + surcharge + (leadCode === 32 ? t.leadSpace : t.leadOther);
        }
      } else {
        // Non-ASCII lead (a curly quote, NBSP, emoji...): its own cost, then the bare word
        // (h1/h2 did not include the lead). Only tier-2 words are trusted to stay one token.
        cost += naCost(t, codePointAt(s, lead, n)) + UNIT + (t.known.get(h1, h2) & TIER2 ? 0 : surcharge);
      }
    } else {
      // Mixed script word ("café", "Zürich", CJK runs): no table can vouch for it.
      cost += UNIT + surcharge + nonAsciiCost;
      if (lead >= 0) cost += leadCode < 128 ? UNIT : naCost(t, codePointAt(s, lead, n));
    }
    // cl100k does not split camelCase: its BPE may merge across the hump boundary ("OdBa"
    // -> "O", "dB", "a"), which can cost one more token than o200k's humps when a hump is
    // very short. Real identifiers rarely have two-letter humps; random mixed case does.
    const humpLength = i - humpStart;
    if (prevHumpLength >= 0 && (prevHumpLength <= 2 || humpLength <= 2)) cost += CAMEL_SHORT_HUMP;
    prevHumpLength = humpLength;
    lead = -1;
    leadCode = -1;
    if (ended || i === humpStart) break;
  }
  pieceCost = cost;
  return i;
}

/**
 * A run of symbols (ASCII punctuation/controls and non-ASCII symbols such as emoji) with an
 * optional leading space (at start - 1 when `leadingSpace`) and the CR/LF that follow it,
 * exactly like ` ?[^\s\p{L}\p{N}]+[\r\n]*`. Known ASCII pieces cost 1; otherwise 1 token for
 * the first symbol plus 1 per further symbol (random symbol strings really are ~1 per char),
 * a measured fraction for repeats ("-----", "====" merge well), standalone cost for
 * non-ASCII, and the newline rules of whitespace for the tail. Returns the end index; if the
 * run is a single symbol directly followed by a letter it is a word's lead instead.
 */
function scanSymbols(t: Tables, s: string, start: number, n: number, leadingSpace: boolean): number {
  let i = start;
  let h1 = H1_SEED;
  let h2 = H2_SEED;
  if (leadingSpace) {
    h1 = Math.imul(h1 ^ 32, H1_MUL);
    h2 = Math.imul(h2 ^ 32, H2_MUL);
  }
  // The leading space usually merges (" (", " =") but those pieces are in the known table;
  // in an unknown piece it can stay a token of its own (" \x1e" is 2 tokens).
  let cost = leadingSpace && start < n && s.charCodeAt(start) < 128 ? 2 * UNIT : UNIT;
  let allAscii = true;
  let prev = -1;
  let count = 0;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c < 128) {
      if (t.ascii[c] !== SYMBOL) break;
      if (count > 0) cost += c === prev ? t.repeat[c]! : UNIT;
      h1 = Math.imul(h1 ^ c, H1_MUL);
      h2 = Math.imul(h2 ^ c, H2_MUL);
      prev = c;
      i++;
    } else {
      const cp = codePointAt(s, i, n);
      if (naClass(t, cp) !== NA_SYMBOL) break;
      // The base UNIT already pays for the first char; a non-ASCII char adds its own cost.
      cost += naCost(t, cp);
      allAscii = false;
      prev = -1;
      i += cp > 0xffff ? 2 : 1;
    }
    count++;
  }
  if (count === 1 && !leadingSpace && i < n && isLetterAt(t, s, i, n)) {
    // `[^\r\n\p{L}\p{N}]?\p{L}+`: a lone symbol before a word is that word's lead.
    const end = scanWord(t, s, i, n, start);
    return end;
  }
  // Trailing newlines belong to the symbol piece (`[\r\n]*`; o200k also takes "/" after
  // them: `[\r\n/]*`, so "(\n/." is "(\n/" + "." there, "(\n" + "/." in cl100k).
  let prevNl = -1;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c !== 10 && c !== 13 && (c !== 47 || prevNl < 0)) break;
    cost += prevNl < 0 || c === 47 || prevNl === 47 ? UNIT : c === prevNl ? t.repeat[c]! : c === 10 ? CR_LF : LF_CR;
    h1 = Math.imul(h1 ^ c, H1_MUL);
    h2 = Math.imul(h2 ^ c, H2_MUL);
    prevNl = c;
    i++;
  }
  if (allAscii && t.known.get(h1, h2) !== 0) cost = UNIT;
  pieceCost = cost;
  return i;
}

/**
 * A run of digits, `\p{N}{1,3}` at a time. Every 1-3 ASCII digit string is one token in both
 * encodings, so a pure ASCII run is exact: ceil(length / 3). Non-ASCII digits ("½", "²",
 * "٣") shift the groups of three ("½²42" is "½²4" + "2"), so then every ASCII digit costs 1
 * (a byte), each non-ASCII digit its standalone cost, plus 1 for merges across them.
 */
function scanDigits(t: Tables, s: string, start: number, n: number): number {
  let i = start;
  let ascii = 0;
  let nonAscii = 0;
  let nonAsciiCount = 0;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c < 128) {
      if (t.ascii[c] !== DIGIT) break;
      ascii++;
      i++;
    } else {
      const cp = codePointAt(s, i, n);
      if (naClass(t, cp) !== NA_DIGIT) break;
      nonAscii += naCost(t, cp);
      nonAsciiCount++;
      i += cp > 0xffff ? 2 : 1;
    }
  }
  pieceCost = nonAsciiCount === 0 ? Math.ceil(ascii / 3) * UNIT : ascii * UNIT + nonAscii + UNIT;
  return i;
}

/**
 * Whitespace run [start, end): 1 token, plus a measured fraction for each repeat of the same
 * char (long runs of spaces are ~1 token per 128, of \n or \t ~1 per 16) and a full token for
 * every change of character (random whitespace really is ~1 token per char), except CR LF.
 * Non-ASCII spaces (NBSP, U+3000...) cost their standalone count.
 */
function whitespaceCost(t: Tables, s: string, start: number, end: number): number {
  let cost = 0;
  let prev = -1;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128) cost += naCost(t, c);
    else if (prev < 0) cost += UNIT;
    else if (c === prev) cost += t.repeat[c]!;
    else if (prev === 13 && c === 10) cost += CR_LF;
    else if (prev === 10 && c === 13) cost += LF_CR;
    else cost += TRANSITION;
    prev = c;
  }
  return cost;
}

/**
 * Conservative upper bound on `max(tokens_o200k(text), tokens_cl100k(text))` as counted by
 * js-tiktoken with special tokens treated as plain text (`encode(text, [], [])`).
 *
 * One pass, no allocation per character, linear time (~10-15 ns per char of CPU on a warm
 * isolate, a few µs for a 100-token prompt). The first call per isolate builds the lookup
 * tables: ~20 ms of CPU and ~0.7 MB. Within ~1.1x of the real count on English prose and
 * ~1.2x on source code; looser (safety first) on other languages, CJK, emoji, random
 * identifiers and anything else the tables cannot vouch for.
 */
export function estimateTokensUpperBound(text: string): number {
  const n = text.length;
  if (n === 0) return 0;
  const t = tables ?? (tables = init());
  let total = 0;
  let i = 0;
  while (i < n) {
    const before = i;
    const c = text.charCodeAt(i);
    const k = c < 128 ? t.ascii[c]! : NON_ASCII;
    if (k === LOWER || k === UPPER) {
      i = scanWord(t, text, i, n, -1);
      total += pieceCost;
    } else if (k === DIGIT) {
      i = scanDigits(t, text, i, n);
      total += pieceCost;
    } else if (k === SYMBOL) {
      i = scanSymbols(t, text, i, n, false);
      total += pieceCost;
    } else if (k === SPACE || k === HSPACE || k === NEWLINE || (k === NON_ASCII && isSpaceAt(t, text, i, n))) {
      let j = i + 1;
      while (j < n && isSpaceAt(t, text, j, n)) j++;
      // The run's last char may belong to the next piece: any non-newline space before a
      // letter (`[^\r\n\p{L}\p{N}]?\p{L}+`), a plain " " before a symbol (` ?[^\s...]+`).
      const last = text.charCodeAt(j - 1);
      if (j < n && last !== 10 && last !== 13 && isLetterAt(t, text, j, n)) {
        if (j - 1 > i) total += whitespaceCost(t, text, i, j - 1);
        i = scanWord(t, text, j, n, j - 1);
        total += pieceCost;
      } else if (j < n && last === 32 && isSymbolAt(t, text, j, n)) {
        if (j - 1 > i) total += whitespaceCost(t, text, i, j - 1);
        i = scanSymbols(t, text, j, n, true);
        total += pieceCost;
      } else if (j < n && j - 1 > i && last !== 10 && last !== 13) {
        // Before a digit, or a symbol after a non-" " space: `\s+(?!\S)` leaves the last
        // char behind and it becomes a piece of its own ("   42" is "  " + " " + "42").
        total += whitespaceCost(t, text, i, j - 1) + whitespaceCost(t, text, j - 1, j);
        i = j;
      } else {
        total += whitespaceCost(t, text, i, j);
        i = j;
      }
    } else {
      // Non-ASCII letter, digit or symbol.
      const cls = naClass(t, codePointAt(text, i, n));
      if (cls === NA_LETTER) i = scanWord(t, text, i, n, -1);
      else if (cls === NA_DIGIT) i = scanDigits(t, text, i, n);
      else i = scanSymbols(t, text, i, n, false);
      total += pieceCost;
    }
    if (i <= before) {
      // Defensive: every iteration must advance, whatever a future table or scanner change
      // does. A char no scanner took is priced at its UTF-8 bytes (the most a byte-level BPE
      // can give it) plus 1 for the merge it may break on either side, and skipped.
      const cp = codePointAt(text, before, n);
      total += (utf8Length(cp) + 1) * UNIT;
      i = before + (cp > 0xffff ? 2 : 1);
    }
  }
  return Math.ceil(total / UNIT);
}

/**
 * Whether the code point at i is whitespace. It must agree with `naClass` for every code point:
 * the main loop sends a non-ASCII char either here or to a scanner by that class, and a char
 * that both refused (U+FEFF used to be whitespace in the table but above the old `< 0xd800`
 * cut-off) would be consumed by nobody.
 */
function isSpaceAt(t: Tables, s: string, i: number, n: number): boolean {
  const c = s.charCodeAt(i);
  if (c < 128) {
    const k = t.ascii[c];
    return k === SPACE || k === HSPACE || k === NEWLINE;
  }
  return naClass(t, codePointAt(s, i, n)) === NA_SPACE;
}

/** UTF-8 length of a code point (a lone surrogate is encoded as U+FFFD: 3 bytes). */
function utf8Length(cp: number): number {
  return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
}

/**
 * Upper bound for several texts encoded separately (e.g. the messages of a chat request):
 * the sum of the per-part bounds.
 */
export function estimateTokensUpperBoundMany(parts: readonly string[]): number {
  let total = 0;
  for (const part of parts) total += estimateTokensUpperBound(part);
  return total;
}
