/**
 * The page's frame and router: every view has its own URL under `/admin/ui`
 * (bookmarkable; the worker serves the same page for each), links navigate
 * without reloading, and a missing or rejected token shows the sign-in form
 * with the reason.
 */
import { whenSignedOut } from "./api";
import { append, h, replace } from "./dom";
import { clearSession, currentSession, type Session } from "./session";
import { homeView } from "./views/home";
import { signInView } from "./views/signin";
import { tenantView, TENANT_TABS, type TenantTab } from "./views/tenant";

/** What a view gets: where to draw, who is signed in, the URL's parameters. */
export interface ViewContext {
  main: HTMLElement;
  session: Session;
  query: URLSearchParams;
}

const ROOT = "/admin/ui";
let root: HTMLElement;
let signedOutReason: string | null = null;

/** Goes to a dashboard URL (a path under /admin/ui, with its query). */
export function navigate(to: string, opts: { replace?: boolean } = {}): void {
  if (opts.replace) history.replaceState(null, "", to);
  else history.pushState(null, "", to);
  void render();
}

/** A link that navigates inside the dashboard. */
export function link(to: string, ...children: (Node | string)[]): HTMLAnchorElement {
  return h("a", { href: to, "data-nav": "" }, ...children);
}

/** The dashboard URL of a tenant view. */
export function tenantPath(tenantId: string, tab: TenantTab = "overview", query?: Record<string, string>): string {
  const base = `${ROOT}/tenants/${encodeURIComponent(tenantId)}${tab === "overview" ? "" : `/${tab}`}`;
  const q = query ? new URLSearchParams(query).toString() : "";
  return q ? `${base}?${q}` : base;
}

/** Starts the dashboard in `#app`. */
export function start(el: HTMLElement): void {
  root = el;
  whenSignedOut((message) => {
    signedOutReason = `Not signed in: the token stopped working (${message}). Sign in again.`;
    void render();
  });
  window.addEventListener("popstate", () => void render());
  document.addEventListener("click", (ev) => {
    const a = (ev.target as Element | null)?.closest?.("a[data-nav]");
    if (!(a instanceof HTMLAnchorElement) || ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey) return;
    ev.preventDefault();
    navigate(a.pathname + a.search);
  });
  void render();
}

/** Draws the view the URL names. */
export async function render(): Promise<void> {
  const session = currentSession();
  if (!session) {
    const reason = signedOutReason;
    signedOutReason = null;
    replace(
      root,
      signInView(reason, () => navigate(location.pathname + location.search, { replace: true })),
    );
    document.title = "Sign in · budget-guard";
    return;
  }
  const main = h("main", { id: "main" });
  replace(root, header(session), main);
  const ctx: ViewContext = { main, session, query: new URLSearchParams(location.search) };
  const path = location.pathname.replace(/\/+$/, "") || ROOT;
  try {
    if (path === ROOT) {
      if (session.kind === "tenant_admin") return navigate(tenantPath(session.tenantId), { replace: true });
      document.title = "Tenants · budget-guard";
      return await homeView(ctx);
    }
    const m = /^\/admin\/ui\/tenants\/([^/]+)(?:\/([a-z]+))?$/.exec(path);
    const tab = (m?.[2] ?? "overview") as TenantTab;
    if (m && TENANT_TABS.includes(tab)) {
      const t = decodeURIComponent(m[1]!);
      document.title = `${t} · budget-guard`;
      return await tenantView(ctx, t, tab);
    }
    append(
      main,
      h("h1", {}, "No such view"),
      h("p", { class: "state state-error", role: "alert" }, `The dashboard has no page at ${path}.`),
      link(ROOT, "Go to the start page"),
    );
  } catch (err) {
    append(
      main,
      h(
        "p",
        { class: "state state-error", role: "alert" },
        `Something went wrong in the dashboard: ${err instanceof Error ? err.message : String(err)}`,
      ),
    );
  }
}

function header(session: Session): HTMLElement {
  const who = session.kind === "operator" ? "Operator" : `Tenant admin · ${session.tenantId}`;
  const signOut = h(
    "button",
    {
      type: "button",
      class: "button-quiet",
      "data-test": "sign-out",
      on: {
        click: () => {
          clearSession();
          navigate(ROOT);
        },
      },
    },
    "Sign out",
  );
  return h(
    "header",
    { class: "topbar" },
    link(session.kind === "operator" ? ROOT : tenantPath(session.tenantId), h("span", { class: "brand" }, "budget-guard")),
    h("span", { class: "who", "data-test": "who" }, who),
    signOut,
  );
}
