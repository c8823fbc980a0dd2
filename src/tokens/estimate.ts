/** Placeholder upper bound: UTF-8 bytes (a byte-level BPE never yields more tokens than bytes). */
export function estimateTokensUpperBound(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    n += c < 0x80 ? 1 : c < 0x800 ? 2 : c >= 0xd800 && c <= 0xdbff ? (i++, 4) : 3;
  }
  return n;
}
