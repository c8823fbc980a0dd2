/**
 * Building the page without markup strings: every value from the API becomes
 * a text node (`textContent`), never HTML, so a tenant named
 * `<img src=x onerror=alert(1)>` shows exactly that. There is no way to pass
 * `style` or an `on…` attribute here; styling is by class, and the few sizes
 * that depend on data (bar widths) are set through CSSOM, which the page's
 * `style-src 'self'` allows.
 */

/** What may be a child: text (escaped by construction), an element, or nothing. */
export type Child = Node | string | number | null | undefined | false;

/** Attributes {@link h} accepts; `on` wires listeners, everything else is a plain attribute. */
export interface Attrs {
  class?: string;
  on?: Partial<{ [K in keyof HTMLElementEventMap]: (ev: HTMLElementEventMap[K]) => void }>;
  [name: string]: string | number | boolean | undefined | Attrs["on"];
}

const FORBIDDEN = /^(on|style$|srcdoc$)/i;

/** Creates an element; attributes by name, children as text or nodes. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (name === "on") {
      for (const [type, fn] of Object.entries(value as NonNullable<Attrs["on"]>)) el.addEventListener(type, fn as EventListener);
      continue;
    }
    if (FORBIDDEN.test(name)) throw new Error(`attribute ${name} is not allowed`);
    if (value === undefined || value === false) continue;
    if ((name === "href" || name === "src") && !safeUrl(String(value))) throw new Error(`unsafe ${name}`);
    el.setAttribute(name, value === true ? "" : String(value));
  }
  append(el, ...children);
  return el;
}

/** Appends children, strings as text nodes. */
export function append(el: Node, ...children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.appendChild(typeof c === "string" || typeof c === "number" ? document.createTextNode(String(c)) : c);
  }
}

/** Replaces an element's content. */
export function replace(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, ...children);
}

/** Same-origin paths, blob URLs of our own downloads, or https links only. */
function safeUrl(url: string): boolean {
  return url.startsWith("/") || url.startsWith("blob:") || url.startsWith("#") || url.startsWith("https://");
}

/** A paragraph saying what is happening (loading, empty, failed), styled by kind. */
export function state(kind: "loading" | "empty" | "error" | "info", text: string): HTMLElement {
  return h("p", { class: `state state-${kind}`, role: kind === "error" ? "alert" : "status" }, text);
}

/** A table from headers and rows of cells, wrapped so it scrolls sideways on a phone. */
export function table(
  headers: readonly string[],
  rows: readonly (readonly Child[])[],
  opts: { class?: string; numeric?: readonly number[] } = {},
): HTMLElement {
  const numeric = new Set(opts.numeric ?? []);
  const cls = (i: number) => (numeric.has(i) ? "num" : undefined);
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: opts.class },
      h("thead", {}, h("tr", {}, ...headers.map((t, i) => h("th", { scope: "col", class: cls(i) }, t)))),
      h("tbody", {}, ...rows.map((r) => h("tr", {}, ...r.map((c, i) => h("td", { class: cls(i) }, c))))),
    ),
  );
}

/** A horizontal bar filled to `fraction` of a limit (0–1, clamped), coloured by how close it is; `share` bars only compare. */
export function bar(fraction: number | null, opts: { reserved?: number; label: string; share?: boolean }): HTMLElement {
  const track = h("div", { class: "bar", role: "img", "aria-label": opts.label });
  if (fraction === null) {
    track.classList.add("bar-unlimited");
    return track;
  }
  const spent = h("div", { class: "bar-fill" });
  spent.style.width = `${Math.min(100, Math.max(0, fraction * 100)).toFixed(1)}%`;
  const level = opts.share ? "share" : fraction >= 1 ? "over" : fraction >= 0.8 ? "warn" : "ok";
  track.classList.add(`bar-${level}`);
  track.appendChild(spent);
  if (opts.reserved && opts.reserved > 0) {
    const held = h("div", { class: "bar-reserved" });
    held.style.width = `${Math.min(100 - Math.min(100, fraction * 100), opts.reserved * 100).toFixed(1)}%`;
    track.appendChild(held);
  }
  return track;
}
