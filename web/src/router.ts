// Routes are real paths (/channels/adt-in, /messages/42?...): the engine
// answers index.html for any path that is not a file, so a reload or a
// bookmarked link opens the same page.

export interface Route {
  pattern: RegExp;
  render: (root: HTMLElement, match: string[], search: URLSearchParams) => (() => void) | void;
}

let routes: Route[] = [];
let notFound: Route['render'] = () => {};
let cleanup: (() => void) | void = undefined;
let rootEl: HTMLElement | null = null;
let beforeRender: (path: string) => boolean = () => true;

export function setRoutes(list: Route[], fallback: Route['render'], guard: (path: string) => boolean): void {
  routes = list;
  notFound = fallback;
  beforeRender = guard;
}

export function mount(root: HTMLElement): void {
  rootEl = root;
  window.addEventListener('popstate', () => render());
  // Plain <a href="/..."> links navigate inside the console without a reload.
  document.addEventListener('click', (e) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    const a = (e.target as Element).closest('a');
    if (!a || a.target || a.hasAttribute('download')) return;
    const href = a.getAttribute('href');
    if (!href || !href.startsWith('/') || href.startsWith('/api/')) return;
    e.preventDefault();
    navigate(href);
  });
}

export function navigate(href: string, replace = false): void {
  if (replace) history.replaceState(null, '', href);
  else history.pushState(null, '', href);
  render();
}

export function render(): void {
  if (!rootEl) return;
  const path = location.pathname;
  if (!beforeRender(path)) return;
  if (cleanup) cleanup();
  cleanup = undefined;
  rootEl.replaceChildren();
  window.scrollTo(0, 0);
  const search = new URLSearchParams(location.search);
  for (const route of routes) {
    const match = route.pattern.exec(path);
    if (match) {
      cleanup = route.render(rootEl, match.slice(1).map(decodeURIComponent), search);
      markCurrentNav(path);
      return;
    }
  }
  cleanup = notFound(rootEl, [], search);
}

function markCurrentNav(path: string): void {
  for (const a of document.querySelectorAll<HTMLAnchorElement>('nav.main a')) {
    const href = a.getAttribute('href') ?? '';
    const current = href === '/' ? path === '/' || path.startsWith('/channels') : path.startsWith(href);
    a.classList.toggle('current', current);
    if (current) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}
