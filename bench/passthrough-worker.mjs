/**
 * The pass-through Worker: the floor the guard is measured against. It runs in
 * the same runtime and harness as the guard (its own Miniflare instance, same
 * options) and forwards `POST /v1/chat/completions` to the mock upstream
 * unchanged — method, headers and body streamed through, the response streamed
 * back — with no budget logic at all.
 *
 * Binding: `UPSTREAM_URL`, e.g. `http://127.0.0.1:12345` (no trailing slash).
 */
export default {
  /**
   * @param {Request} request
   * @param {{ UPSTREAM_URL: string }} env
   * @returns {Promise<Response>}
   */
  async fetch(request, env) {
    const url = new URL(request.url);
    if (request.method === "GET" && url.pathname === "/health") return new Response("ok");
    if (request.method !== "POST" || url.pathname !== "/v1/chat/completions") {
      return Response.json({ error: { message: "not found", type: "invalid_request_error", code: "not_found", param: null } }, { status: 404 });
    }
    return fetch(env.UPSTREAM_URL + url.pathname, { method: "POST", headers: request.headers, body: request.body });
  },
};
