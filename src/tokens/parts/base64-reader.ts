/**
 * Random access into base64 data: the bytes at [offset, offset + length) are decoded from the
 * few base64 characters that hold them (byte k lives in chars 4·⌊k/3⌋ ..), so a JPEG's
 * markers can be walked across a 5 MB payload while decoding a few bytes per marker.
 */
export class Base64Reader {
  /** Decoded size, from the length and padding alone. */
  readonly byteLength: number;
  private readonly b64: string;

  /** Null when random access is impossible: whitespace inside, or a length no base64 can have. */
  static of(b64: string): Base64Reader | null {
    if (b64.length % 4 === 1) return null;
    // Whitespace would shift the char <-> byte mapping; checking the first 64 KiB catches the
    // usual line-wrapped (MIME) encodings, and a stray space later only makes a read fail.
    if (/\s/.test(b64.slice(0, 65536))) return null;
    return new Base64Reader(b64);
  }

  private constructor(b64: string) {
    this.b64 = b64;
    let n = b64.length;
    while (n > 0 && b64.charCodeAt(n - 1) === 61) n--;
    this.byteLength = Math.floor((n * 3) / 4);
  }

  /** Bytes [offset, offset + length), clipped to the data; null if they are not valid base64. */
  bytes(offset: number, length: number): Uint8Array | null {
    if (offset < 0 || length <= 0 || offset >= this.byteLength) return new Uint8Array(0);
    const end = Math.min(this.byteLength, offset + length);
    const from = Math.floor(offset / 3) * 4;
    const to = Math.min(this.b64.length, Math.ceil(end / 3) * 4);
    let chunk = this.b64.slice(from, to).replace(/[-_]/g, (c) => (c === "-" ? "+" : "/"));
    if (chunk.length % 4 !== 0) chunk += "=".repeat(4 - (chunk.length % 4));
    let binary: string;
    try {
      binary = atob(chunk);
    } catch {
      return null;
    }
    const skip = offset - (from / 4) * 3;
    const n = Math.min(end - offset, binary.length - skip);
    const out = new Uint8Array(Math.max(0, n));
    for (let i = 0; i < out.length; i++) out[i] = binary.charCodeAt(skip + i);
    return out;
  }
}
