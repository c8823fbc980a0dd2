/**
 * Where alerts may be sent. Deployed, only `https` to a public host: a
 * webhook URL is tenant input, and a guard that POSTs to private ranges is an
 * SSRF vector. In local development `http://127.0.0.1:PORT` (and localhost)
 * is allowed so a user can watch alerts arrive.
 */

function isPrivateIpv4(host: string): boolean {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (!m) return false;
  const [a, b] = [Number(m[1]), Number(m[2])];
  return (
    a === 0 ||
    a === 10 ||
    a === 127 ||
    (a === 100 && b >= 64 && b <= 127) ||
    (a === 169 && b === 254) ||
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 198 && (b === 18 || b === 19)) ||
    a >= 224
  );
}

function isPrivateHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, "");
  if (h === "localhost" || h.endsWith(".localhost") || h.endsWith(".local") || h.endsWith(".internal") || h.endsWith(".home.arpa"))
    return true;
  if (isPrivateIpv4(h)) return true;
  if (h.includes(":")) {
    // IPv6 literal: loopback, unspecified, unique-local, link-local, IPv4-mapped.
    return h === "::1" || h === "::" || /^f[cd]/.test(h) || /^fe[89ab]/.test(h) || h.startsWith("::ffff:");
  }
  return !h.includes(".");
}

/** Why a webhook URL is refused, or null when it is allowed. */
export function webhookUrlProblem(raw: string, environment: "production" | "development" | "test"): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return "not a URL";
  }
  if (url.username || url.password) return "credentials in the URL are not allowed";
  const local = url.hostname === "127.0.0.1" || url.hostname === "localhost";
  if (environment !== "production" && local && (url.protocol === "http:" || url.protocol === "https:")) return null;
  if (url.protocol !== "https:") return "must be an https URL";
  if (isPrivateHost(url.hostname)) return "must point to a public host";
  return null;
}
