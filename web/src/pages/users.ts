// Users (admin only): the list, adding one, changing a role or a password,
// disabling and removing. The engine refuses what would leave it without an
// admin and says so; the answer is shown as it comes.
import { enc, get, request, type Role, type User } from '../api';
import { h } from '../dom';
import { time } from '../format';
import { session } from '../session';
import { askPassword, confirmAction, errorBox, loading, notice, pageTitle, scrollBox, table } from '../ui';

const ROLES: Role[] = ['viewer', 'operator', 'admin'];

export function usersPage(root: HTMLElement): void {
  const result = notice();
  const list = table(['User', 'Role', 'Created', 'Password changed', ''], 'users');
  const status = h('div', null, loading());

  const name = h('input', { name: 'name', required: true, autocomplete: 'off', pattern: '[A-Za-z0-9._@-]+' });
  const role = h('select', { name: 'role' }, ROLES.map((r) => h('option', { value: r, selected: r === 'viewer' }, r)));
  const password = h('input', { name: 'password', type: 'password', required: true, minlength: 12, autocomplete: 'new-password' });
  const add = h(
    'form',
    { class: 'inline-form', 'aria-label': 'Add a user' },
    h('h2', null, 'Add a user'),
    h('label', null, 'Name', name),
    h('label', null, 'Role', role),
    h('label', null, 'Password (12 characters or more)', password),
    h('button', { type: 'submit', class: 'primary' }, 'Add user'),
  );
  add.addEventListener('submit', async (e) => {
    e.preventDefault();
    result.clear();
    try {
      await request('POST', '/api/users', { name: name.value.trim(), role: role.value, password: password.value });
      const added = `Added ${name.value.trim()} as ${role.value}.`;
      name.value = '';
      password.value = '';
      await load();
      result.ok(added);
    } catch (err) {
      result.error((err as Error).message);
    }
  });

  root.append(pageTitle('Users'), result.el, status, scrollBox(list.table), add);

  // The answer is shown once the list is read again, so what the notice says
  // and what the table shows always agree.
  const change = async (user: string, body: Record<string, unknown>, done: string) => {
    result.clear();
    let outcome: () => void;
    try {
      await request('PUT', `/api/users/${enc(user)}`, body);
      outcome = () => result.ok(done);
    } catch (err) {
      outcome = () => result.error(`${user}: ${(err as Error).message}`);
    }
    await load();
    outcome();
  };

  const row = (u: User) => {
    const me = u.name === session()?.user;
    const roleSelect = h(
      'select',
      { 'aria-label': `Role of ${u.name}`, 'data-user': u.name },
      ROLES.map((r) => h('option', { value: r, selected: r === u.role }, r)),
    );
    roleSelect.addEventListener('change', () => void change(u.name, { role: roleSelect.value }, `${u.name} is now ${roleSelect.value}.`));
    const setPassword = h('button', { class: 'secondary small' }, 'Set password');
    setPassword.addEventListener('click', async () => {
      const pw = await askPassword(
        `New password for ${u.name}`,
        me ? 'Your sessions end: you log in again with the new password.' : `${u.name}’s sessions end; they log in again with the new password.`,
        me,
      );
      if (pw === null) return;
      if (me) await change(u.name, { password: pw.password, current_password: pw.current }, 'Your password is changed: log in again.');
      else await change(u.name, { password: pw.password }, `${u.name}’s password is changed.`);
    });
    const disable = h('button', { class: 'secondary small' }, u.disabled ? 'Enable' : 'Disable');
    disable.addEventListener('click', () => void change(u.name, { disabled: !u.disabled }, `${u.name} is ${u.disabled ? 'enabled' : 'disabled'}.`));
    const remove = h('button', { class: 'danger small' }, 'Remove');
    remove.addEventListener('click', async () => {
      if (!(await confirmAction(`Remove ${u.name}?`, 'Their sessions and API tokens end. The audit log keeps their entries.', 'Remove', true))) return;
      result.clear();
      let outcome: () => void;
      try {
        await request('DELETE', `/api/users/${enc(u.name)}`);
        outcome = () => result.ok(`Removed ${u.name}.`);
      } catch (err) {
        outcome = () => result.error(`${u.name}: ${(err as Error).message}`);
      }
      await load();
      outcome();
    });
    return h(
      'tr',
      { 'data-user': u.name, class: u.disabled ? 'disabled' : '' },
      h('th', { scope: 'row' }, u.name, me ? h('span', { class: 'muted' }, ' (you)') : null, u.disabled ? h('span', { class: 'muted' }, ' (disabled)') : null),
      h('td', null, roleSelect),
      h('td', null, time(u.created_ms)),
      h('td', null, time(u.password_changed_ms)),
      h('td', null, h('div', { class: 'row-actions' }, setPassword, me ? null : disable, me ? null : remove)),
    );
  };

  const load = async () => {
    try {
      const { users } = await get<{ users: User[] }>('/api/users');
      list.body.replaceChildren(...users.map(row));
      status.replaceChildren();
    } catch (err) {
      status.replaceChildren(errorBox((err as Error).message));
    }
  };
  void load();
}
