/**
 * The dashboard's one HTML page. Everything it shows is drawn by the bundled
 * script (ui/src, built into the static assets under /admin/ui/assets/) from
 * the admin API, so the page itself carries no data and no inline script or
 * style, which lets the policy below forbid both.
 */

/** Where the static assets are served from (wrangler.toml `[assets]`, built by scripts/build-ui.mjs). */
export const ASSET_PREFIX = "/admin/ui/assets/";

/**
 * The page's policy: only this origin's script, style, images and API, no
 * plugins, no framing, no `<base>` or form posts elsewhere. uPlot styles its
 * elements through CSSOM (`el.style.x = …`), which `style-src 'self'` allows.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

/** Headers of every dashboard response. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy": CONTENT_SECURITY_POLICY,
  "x-frame-options": "DENY",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cross-origin-opener-policy": "same-origin",
};

/** The page: a shell the script fills in; the same for every dashboard URL (the script routes). */
export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>budget-guard dashboard</title>
<link rel="icon" href="${ASSET_PREFIX}icon.svg" type="image/svg+xml">
<link rel="stylesheet" href="${ASSET_PREFIX}app.css">
<script type="module" src="${ASSET_PREFIX}app.js"></script>
</head>
<body>
<noscript>The budget-guard dashboard needs JavaScript.</noscript>
<div id="app"><p class="state">Loading…</p></div>
</body>
</html>
`;
