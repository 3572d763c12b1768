// The audit log (admin only), newest first: logins, every action on a channel,
// every view of message content, user changes. Filter by user, action and age;
// "Older" pages back by id.
import { get, query, type AuditEntry } from '../api';
import { h } from '../dom';
import { time } from '../format';
import { navigate } from '../router';
import { errorBox, loading, pageTitle, scrollBox, table } from '../ui';

const PAGE = 100;

export function auditPage(root: HTMLElement, _m: string[], search: URLSearchParams): void {
  const user = h('input', { name: 'user', value: search.get('user') ?? '', placeholder: 'any user' });
  const action = h(
    'select',
    { name: 'action' },
    [
      ['', 'any action'],
      ['login', 'login'],
      ['login_failed', 'failed login'],
      ['channel.', 'channel actions'],
      ['message.view', 'content views'],
      ['message.reprocess', 'reprocessing'],
      ['user.', 'user changes'],
      ['access_denied', 'refused requests'],
    ].map(([v, t]) => h('option', { value: v, selected: search.get('action') === v }, t)),
  );
  const since = h(
    'select',
    { name: 'since' },
    [
      ['', 'any time'],
      ['1h', 'last hour'],
      ['24h', 'last 24 hours'],
      ['7d', 'last 7 days'],
    ].map(([v, t]) => h('option', { value: v, selected: search.get('since') === v }, t)),
  );
  const form = h(
    'form',
    { class: 'filters', role: 'search' },
    h('label', null, 'User', user),
    h('label', null, 'Action', action),
    h('label', null, 'When', since),
    h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'primary' }, 'Filter')),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    navigate(`/audit${query({ user: user.value.trim(), action: action.value, since: since.value })}`);
  });
  const list = table(['When', 'User', 'Action', 'Channel', 'Message', 'Address', 'Result', 'Detail'], 'audit');
  const status = h('div');
  const older = h('button', { class: 'secondary', hidden: true }, 'Older');
  root.append(pageTitle('Audit log'), form, status, scrollBox(list.table), h('div', { class: 'pager' }, older));

  const load = async (before?: number) => {
    status.replaceChildren(loading());
    older.hidden = true;
    try {
      const { entries } = await get<{ entries: AuditEntry[] }>(
        `/api/audit${query({ user: search.get('user'), action: search.get('action'), since: search.get('since'), before, limit: PAGE })}`,
      );
      for (const e of entries)
        list.body.appendChild(
          h(
            'tr',
            { 'data-action': e.action, class: e.ok ? '' : 'refused' },
            h('td', null, time(e.at_ms)),
            h('td', null, e.user || '—'),
            h('td', null, h('code', null, e.action)),
            h('td', null, e.channel ? h('a', { href: `/channels/${encodeURIComponent(e.channel)}` }, e.channel) : ''),
            h('td', null, e.message_id ? h('a', { href: `/messages/${e.message_id}` }, `#${e.message_id}`) : ''),
            h('td', null, e.address),
            h('td', null, h('span', { class: `badge ${e.ok ? 'ok' : 'refused'}` }, e.ok ? 'ok' : 'refused')),
            h('td', { class: 'detail' }, e.detail),
          ),
        );
      status.replaceChildren(list.body.rows.length === 0 ? h('p', { class: 'muted' }, 'No entries match.') : '');
      if (entries.length === PAGE) {
        older.hidden = false;
        older.onclick = () => void load(entries[entries.length - 1].id);
      }
    } catch (err) {
      status.replaceChildren(errorBox((err as Error).message));
    }
  };
  void load();
}
