/**
 * File and PDF input bounds. Both providers turn each PDF page into its extracted text plus an
 * image of the page, so a PDF costs at most pages × (a page's text + a page image). Pages are
 * counted from the bytes in one linear scan; a PDF that hides its page objects (compressed
 * object streams, escaped names) or shows none is bounded by its object count instead.
 */

/**
 * Text tokens one page can carry. A dense page of 10-pt text holds ~4,000-6,000 characters,
 * i.e. ~1,500 tokens; measured PDFs cost Claude ~2,100-2,500 tokens per text page including
 * the page image (huggingface.co/datasets/JOHNISKING/pdf-token-cost). 3,000 is twice the
 * densest ordinary page.
 */
export const PDF_PAGE_TEXT_TOKENS = 3_000;

/**
 * Cap on a page count the guard had to infer from object counts (see pdfPages): the most
 * pages a provider takes in one request. Anthropic documents 100 pages per request for
 * 200k-context models and up to 600 images per request on larger ones
 * (platform.claude.com/docs/en/build-with-claude/pdf-support and .../vision); 600 is the
 * larger. A request over the provider's limit is refused, not billed.
 */
export const MAX_PDF_PAGES = 600;

/** What a PDF's bytes say about its pages. */
export interface PdfPages {
  /** Pages to bill for: counted, or inferred from the objects when counting cannot be trusted. */
  pages: number;
  /** Whether `pages` is a count of visible page objects (false: inferred from object counts). */
  counted: boolean;
}

/**
 * Pages of a PDF given as a binary string (one char per byte), in one linear scan. Counts
 * `/Type /Page` dictionaries (not `/Pages`, the tree nodes) and takes the larger of that and
 * any `/Count` (page tree) value, so a PDF can only over-state its pages.
 *
 * Page objects can hide from that count: inside compressed object streams (`/ObjStm`), or
 * behind `#xx` escapes in names (`/P#61ge` is `/Page`). Then every object may be a page: the
 * visible indirect objects ("12 0 obj") plus every `/N` value (an object stream's `/N` is the
 * number of objects it holds, which readers use to parse it, so it cannot under-state them), capped at
 * MAX_PDF_PAGES. The same applies to a PDF with no visible page at all.
 */
export function pdfPages(binary: string): PdfPages {
  let pages = 0;
  for (const _ of binary.matchAll(/\/Type\s*\/Page(?![A-Za-z0-9#])/g)) pages++;
  let treeCount = 0;
  for (const m of binary.matchAll(/\/Count\s+(\d{1,7})/g)) treeCount = Math.max(treeCount, Number(m[1]));
  const counted = Math.max(pages, treeCount);
  const streams = /\/ObjStm\b/.test(binary);
  const escapes = /\/[A-Za-z]*#[0-9A-Fa-f]{2}/.test(binary);
  if (counted > 0 && !streams && !escapes) return { pages: counted, counted: true };
  let objects = 0;
  // Bounded quantifiers and no start inside a digit run: a megabyte of digits stays linear.
  for (const _ of binary.matchAll(/(?<!\d)\d{1,10}\s+\d{1,5}\s+obj\b/g)) objects++;
  if (streams) {
    // Every `/N` counts (not only those of object streams: other dictionaries use /N too,
    // which over-counts, never under). An indirect `/N 7 0 R` hides the number: assume the cap.
    if (/\/N\s+\d{1,10}\s+\d{1,5}\s+R\b/.test(binary)) objects = MAX_PDF_PAGES;
    else for (const m of binary.matchAll(/\/N\s+(\d{1,7})/g)) objects += Number(m[1]);
  }
  return { pages: Math.max(counted, Math.min(MAX_PDF_PAGES, Math.max(1, objects))), counted: false };
}

/** Whether bytes (as a binary string prefix) start like a PDF: "%PDF-" within the first 1 KiB. */
export function looksLikePdf(binaryPrefix: string): boolean {
  return binaryPrefix.slice(0, 1024).includes("%PDF-");
}

/**
 * Upper bound on a PDF's input tokens: pages × (PDF_PAGE_TEXT_TOKENS + the largest page image
 * the model's formula gives), and never less than a quarter of its bytes. The byte floor is
 * for text the page count does not explain: uncompressed text costs at most 1 token per byte
 * and English ~1 per 4; text in compressed streams could decode to more, which a bound from
 * the compressed bytes cannot see (inflating 8 MiB on the request path is not an option), so
 * the page term, sized at twice the densest page, is what covers that case.
 */
export function pdfTokens(binary: string, pageImageTokens: number): number {
  const { pages } = pdfPages(binary);
  return Math.max(pages * (PDF_PAGE_TEXT_TOKENS + pageImageTokens), Math.ceil(binary.length / 4));
}

/**
 * Text of a non-PDF file when it is plain UTF-8 text (no NUL or other C0 controls besides
 * tab/newline/CR), so that it can be counted like any prompt text; null otherwise.
 */
export function plainText(binary: string): string | null {
  if (/[\x00-\x08\x0b\x0e-\x1f]/.test(binary.slice(0, 65536))) return null;
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return null;
  }
}
