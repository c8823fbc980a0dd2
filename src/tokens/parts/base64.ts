/**
 * Inline bytes of request parts (data: URLs, base64 fields), read without decoding more than
 * needed: headers come from a decoded prefix, sizes from the base64 length alone. Bodies can
 * be up to 8 MiB, so everything here is linear and most of it constant-time.
 */

/** A `data:` URL split into its media type and base64 payload (null if not base64 data). */
export interface DataUrl {
  mediaType: string;
  base64: string;
}

/** Parses `data:<type>[;params];base64,<payload>`; null for anything else (http URLs, non-base64 data). */
export function parseDataUrl(url: string): DataUrl | null {
  if (!url.startsWith("data:")) return null;
  const comma = url.indexOf(",");
  if (comma < 0 || comma > 512) return null;
  const meta = url.slice(5, comma);
  if (!/;base64$/i.test(meta)) return null;
  return { mediaType: meta.slice(0, meta.indexOf(";") >= 0 ? meta.indexOf(";") : meta.length).toLowerCase(), base64: url.slice(comma + 1) };
}

/** Decoded size of a base64 string from its length alone (an upper bound if it holds whitespace). */
export function base64DecodedLength(b64: string): number {
  let n = b64.length;
  while (n > 0 && b64.charCodeAt(n - 1) === 61) n--; // "=" padding
  return Math.floor((n * 3) / 4);
}

/**
 * The whole payload as a "binary string" (one char per byte), for scans such as PDF page
 * counting: atob is native and linear, and no byte array is built. Null if not base64.
 */
export function decodeBase64Binary(b64: string): string | null {
  try {
    return atob(b64.replace(/[-_]/g, (c) => (c === "-" ? "+" : "/")));
  } catch {
    return null;
  }
}
