/**
 * The admin API as the dashboard calls it: `fetch` with the session's bearer
 * token, JSON in and out, failures as {@link ApiFailure} carrying the API's
 * own message. A 401 ends the session (the token stopped working) and sends
 * the page back to sign-in.
 */
import { clearSession, currentSession } from "./session";

const BASE = "/admin/v1";

/** A failed call, in words. */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

type Listener = (reason: string) => void;
let onSignedOut: Listener = () => {};

/** What to do when the API says the token is no longer accepted. */
export function whenSignedOut(fn: Listener): void {
  onSignedOut = fn;
}

/** `encodeURIComponent` for path segments in template strings. */
export const seg = encodeURIComponent;

interface CallOptions {
  method?: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  body?: unknown;
  accept?: string;
  /** Sign-in tries a token that is not stored yet. */
  token?: string;
}

async function send(path: string, opts: CallOptions): Promise<Response> {
  const token = opts.token ?? currentSession()?.token;
  const headers: Record<string, string> = { accept: opts.accept ?? "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  if (opts.body !== undefined) headers["content-type"] = "application/json";
  let res: Response;
  try {
    res = await fetch(BASE + path, {
      method: opts.method ?? "GET",
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      credentials: "omit",
      cache: "no-store",
    });
  } catch {
    throw new ApiFailure(0, "network", "The guard could not be reached. Check your connection and reload.");
  }
  if (res.ok) return res;
  const failure = await failureOf(res);
  if (res.status === 401 && opts.token === undefined) {
    clearSession();
    onSignedOut(failure.message);
  }
  throw failure;
}

async function failureOf(res: Response): Promise<ApiFailure> {
  let message = `The guard answered ${res.status} ${res.statusText}.`;
  let code = "http_" + res.status;
  try {
    const body = (await res.json()) as { error?: { message?: unknown; code?: unknown; details?: unknown } };
    if (typeof body.error?.message === "string") message = body.error.message;
    if (typeof body.error?.code === "string") code = body.error.code;
    if (Array.isArray(body.error?.details)) {
      const fields = body.error.details
        .map((d: { field?: unknown; message?: unknown }) => (typeof d.field === "string" ? `${d.field}: ${String(d.message ?? "")}` : null))
        .filter((x): x is string => x !== null);
      if (fields.length > 0 && !message.includes(fields[0]!)) message += ` (${fields.join("; ")})`;
    }
  } catch {
    /* not JSON: keep the status line */
  }
  return new ApiFailure(res.status, code, message);
}

/** Calls the admin API and parses JSON. */
export async function api<T>(path: string, opts: CallOptions = {}): Promise<T> {
  const res = await send(path, opts);
  return (await res.json()) as T;
}

/** Calls the admin API for a text body (the CSV export). */
export async function apiText(path: string, accept: string): Promise<{ text: string; filename: string | null }> {
  const res = await send(path, { accept });
  const disposition = res.headers.get("content-disposition") ?? "";
  return { text: await res.text(), filename: /filename="([^"]+)"/.exec(disposition)?.[1] ?? null };
}

/** Runs `fn` over `items` with at most `limit` in flight, keeping order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** A failure's words for the page. */
export function describe(err: unknown): string {
  if (err instanceof ApiFailure) {
    if (err.status === 403) return `Not allowed: ${err.message}`;
    if (err.status === 404) return `Not found: ${err.message}`;
    return err.message;
  }
  return `Something went wrong in the dashboard: ${err instanceof Error ? err.message : String(err)}`;
}
