// The console's shell: the header (navigation, who is logged in, the live
// link's state), the health banner, and the routes. Nothing is shown but the
// login page until GET /api/session (or a login) says who the user is.
import './style.css';
import { whenUnauthorized } from './api';
import { h } from './dom';
import { healthBanner } from './health_banner';
import { onConnection, startLive, stopLive } from './live';
import { alertsPage } from './pages/alerts';
import { auditPage } from './pages/audit';
import { channelPage } from './pages/channel';
import { dashboardPage } from './pages/dashboard';
import { loginPage } from './pages/login';
import { messagePage } from './pages/message';
import { messagesPage } from './pages/messages';
import { pluginsPage } from './pages/plugins';
import { usersPage } from './pages/users';
import { mount, navigate, render, setRoutes } from './router';
import { can, forgetSession, logOut, restoreSession, session } from './session';
import { errorBox, pageTitle } from './ui';

const app = document.getElementById('app')!;
const main = h('main', { id: 'page' });
let banner: ReturnType<typeof healthBanner> | null = null;

function shell(): void {
  const s = session()!;
  const live = h('span', { class: 'live', title: 'live updates', 'data-live': 'connecting' }, 'connecting');
  onConnection((connected, closed) => {
    live.dataset.live = connected ? 'on' : 'off';
    live.textContent = connected ? 'live' : 'reconnecting';
    if (!closed) return;
    // Refused rather than cut: a session that ended goes back to the login;
    // otherwise try again in a few seconds.
    restoreSession()
      .then((s) => {
        if (!s) return leave();
        stopLive();
        window.setTimeout(() => session() && startLive(), 3000);
      })
      .catch(() => {
        stopLive();
        window.setTimeout(() => session() && startLive(), 3000);
      });
  });
  const links: [string, string, boolean][] = [
    ['/', 'Channels', true],
    ['/messages', 'Messages', true],
    ['/alerts', 'Alerts', true],
    ['/plugins', 'Plugins', true],
    ['/users', 'Users', can('admin')],
    ['/audit', 'Audit', can('admin')],
  ];
  const menu = h('button', { class: 'menu-toggle', 'aria-label': 'Menu', 'aria-expanded': 'false' }, '☰');
  const nav = h(
    'nav',
    { class: 'main' },
    links.filter(([, , shown]) => shown).map(([href, text]) => h('a', { href }, text)),
  );
  menu.addEventListener('click', () => {
    const open = nav.classList.toggle('open');
    menu.setAttribute('aria-expanded', String(open));
  });
  nav.addEventListener('click', () => nav.classList.remove('open'));
  const logout = h('button', { class: 'secondary small', 'data-action': 'logout' }, 'Log out');
  logout.addEventListener('click', async () => {
    await logOut().catch(() => {});
    leave(false);
  });
  banner?.stop();
  banner = healthBanner();
  app.replaceChildren(
    h(
      'header',
      { class: 'top' },
      h('a', { class: 'brand', href: '/' }, 'Artery'),
      menu,
      nav,
      h('div', { class: 'who' }, live, h('span', { class: 'user', 'data-role': s.role }, `${s.user} · ${s.role}`), logout),
    ),
    banner.el,
    main,
  );
  startLive();
}

// Back to the login page: after logout, or when the session ended (expired,
// revoked, password changed) and the engine answered 401.
// A lost session comes back to the same page after the login; a logout does not.
function leave(keepPlace = true): void {
  forgetSession();
  stopLive();
  banner?.stop();
  banner = null;
  const back = location.pathname === '/login' ? '/' : location.pathname + location.search;
  history.replaceState(null, '', keepPlace && back !== '/' ? `/login?next=${encodeURIComponent(back)}` : '/login');
  showLogin();
}

function showLogin(): void {
  app.replaceChildren();
  loginPage(app, () => {
    const next = new URLSearchParams(location.search).get('next') ?? '/';
    shell();
    navigate(next.startsWith('/') && !next.startsWith('/login') ? next : '/', true);
  });
}

const adminOnly =
  (page: (root: HTMLElement, m: string[], s: URLSearchParams) => void) => (root: HTMLElement, m: string[], s: URLSearchParams) => {
    if (!can('admin')) {
      root.append(pageTitle('Not allowed'), errorBox('This page needs the admin role.'));
      return;
    }
    page(root, m, s);
  };

setRoutes(
  [
    { pattern: /^\/$/, render: (root) => dashboardPage(root) },
    { pattern: /^\/channels\/([^/]+)$/, render: (root, m) => channelPage(root, m) },
    { pattern: /^\/messages$/, render: (root, m, s) => messagesPage(root, m, s) },
    { pattern: /^\/messages\/(\d+)$/, render: (root, m) => messagePage(root, m) },
    { pattern: /^\/plugins$/, render: (root) => pluginsPage(root) },
    { pattern: /^\/alerts$/, render: (root) => alertsPage(root) },
    { pattern: /^\/users$/, render: adminOnly((root) => usersPage(root)) },
    { pattern: /^\/audit$/, render: adminOnly(auditPage) },
  ],
  (root) => {
    root.append(pageTitle('Not found'), h('p', null, 'No such page. ', h('a', { href: '/' }, 'Back to the channels')));
  },
  (path) => {
    if (session()) {
      if (path === '/login') {
        navigate('/', true);
        return false;
      }
      return true;
    }
    leave();
    return false;
  },
);

whenUnauthorized(() => {
  if (session()) leave();
});

async function start(): Promise<void> {
  mount(main);
  try {
    const s = await restoreSession();
    if (!s) {
      if (location.pathname !== '/login') leave();
      else showLogin();
      return;
    }
  } catch (e) {
    app.replaceChildren(h('main', { id: 'page' }, pageTitle('Artery'), errorBox(`The engine did not answer: ${(e as Error).message}`)));
    return;
  }
  shell();
  if (location.pathname === '/login') {
    const next = new URLSearchParams(location.search).get('next') ?? '/';
    navigate(next.startsWith('/') && !next.startsWith('/login') ? next : '/', true);
  } else {
    render();
  }
}

void start();
