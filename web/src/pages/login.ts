// The login page: user and password to POST /api/login. A wrong password
// (401) and a throttled user (429) are shown in the engine's own words.
import { ApiError } from '../api';
import { h } from '../dom';
import { logIn } from '../session';
import { notice } from '../ui';

export function loginPage(root: HTMLElement, onLoggedIn: () => void): void {
  document.title = 'Log in · Artery';
  const user = h('input', { name: 'user', autocomplete: 'username', required: true, autofocus: true });
  const password = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const button = h('button', { type: 'submit', class: 'primary' }, 'Log in');
  const status = notice();
  const form = h(
    'form',
    { class: 'login', 'aria-label': 'Log in' },
    h('h1', null, 'Artery'),
    h('p', { class: 'muted' }, 'Interface engine console'),
    h('label', null, 'User', user),
    h('label', null, 'Password', password),
    button,
    status.el,
    h(
      'p',
      { class: 'hint' },
      'The first admin’s password is printed once when the engine first starts, or set with ARTERY_ADMIN_PASSWORD.',
    ),
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    status.clear();
    button.disabled = true;
    try {
      await logIn(user.value.trim(), password.value);
      password.value = '';
      onLoggedIn();
    } catch (err) {
      const status404 = err instanceof ApiError && err.status === 404;
      status.error(status404 ? 'This engine has no login endpoint yet (POST /api/login: 404).' : (err as Error).message);
      password.select();
    } finally {
      button.disabled = false;
    }
  });
  root.appendChild(h('div', { class: 'login-page' }, form));
}
