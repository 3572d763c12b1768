// The message browser: filters (channel, state, time range, control id,
// patient id, message type, words in the content) kept in the page's URL, so a
// search can be reloaded and shared; newest first, fifty at a time, "Older"
// for the next page (by id, so paging stays fast on a million messages).
import { get, query, type Channel, type MessagePage, type MessageSummary } from '../api';
import { h } from '../dom';
import { localInputToMs, msToLocalInput, time } from '../format';
import { navigate } from '../router';
import { errorBox, loading, pageTitle, scrollBox, stateBadge, table } from '../ui';

const STATES = ['RECEIVED', 'FILTERED', 'TRANSFORMED', 'QUEUED', 'SENT', 'ERROR'];
const AGES: [string, string][] = [
  ['', 'any time'],
  ['15m', 'last 15 minutes'],
  ['1h', 'last hour'],
  ['24h', 'last 24 hours'],
  ['7d', 'last 7 days'],
  ['range', 'between…'],
];
const PAGE = 50;

export function messagesPage(root: HTMLElement, _m: string[], search: URLSearchParams): void {
  const field = (name: string, label: string, attrs: Record<string, string> = {}) => {
    const input = h('input', { name, value: search.get(name) ?? '', ...attrs });
    return { input, label: h('label', null, label, input) };
  };
  const channel = h('select', { name: 'channel' }, h('option', { value: '' }, 'all channels'));
  const wantedChannel = search.get('channel') ?? '';
  if (wantedChannel) channel.appendChild(h('option', { value: wantedChannel, selected: true }, wantedChannel));
  const state = h(
    'select',
    { name: 'status' },
    h('option', { value: '' }, 'any state'),
    STATES.map((s) => h('option', { value: s, selected: search.get('status') === s }, s)),
  );
  const since = search.get('since') ?? '';
  const rangeMode = /^\d+$/.test(since) || !!search.get('until');
  const age = h(
    'select',
    { name: 'age', 'aria-label': 'Received' },
    AGES.map(([v, t]) => h('option', { value: v, selected: rangeMode ? v === 'range' : v === since }, t)),
  );
  const from = h('input', { type: 'datetime-local', name: 'from', value: rangeMode ? msToLocalInput(since) : '', 'aria-label': 'From' });
  const until = h('input', { type: 'datetime-local', name: 'until', value: msToLocalInput(search.get('until')), 'aria-label': 'Until' });
  const range = h('span', { class: 'range', hidden: !rangeMode }, from, ' – ', until);
  age.addEventListener('change', () => (range.hidden = age.value !== 'range'));
  const control = field('control_id', 'Control id', { placeholder: 'MSH-10' });
  const patient = field('patient_id', 'Patient id', { placeholder: 'PID-3' });
  const type = field('message_type', 'Message type', { placeholder: 'ORU^R01' });
  const text = field('q', 'Text', { type: 'search', placeholder: 'words in the content' });

  const form = h(
    'form',
    { class: 'filters', role: 'search' },
    h('label', null, 'Channel', channel),
    h('label', null, 'State', state),
    h('label', { class: 'when' }, 'Received', age, range),
    control.label,
    patient.label,
    type.label,
    text.label,
    h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'primary' }, 'Search'), h('a', { href: '/messages', class: 'button secondary' }, 'Clear')),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const params: Record<string, string> = {
      channel: channel.value,
      status: state.value,
      control_id: control.input.value.trim(),
      patient_id: patient.input.value.trim(),
      message_type: type.input.value.trim(),
      q: text.input.value.trim(),
    };
    if (age.value === 'range') {
      params.since = localInputToMs(from.value);
      params.until = localInputToMs(until.value);
    } else {
      params.since = age.value;
    }
    navigate(`/messages${query(params)}`);
  });

  const list = table(['Id', 'Received', 'Channel', 'State', 'Type', 'Control id', 'Patient'], 'messages');
  const status = h('div', { class: 'list-status' });
  const older = h('button', { class: 'secondary', hidden: true }, 'Older');
  root.append(pageTitle('Messages'), form, status, scrollBox(list.table), h('div', { class: 'pager' }, older));

  get<{ channels: Channel[] }>('/api/channels')
    .then((r) => {
      for (const c of r.channels.map((c) => c.name).sort())
        if (c !== wantedChannel) channel.appendChild(h('option', { value: c }, c));
    })
    .catch(() => {});

  const params = {
    channel: search.get('channel'),
    status: search.get('status'),
    q: search.get('q'),
    since: search.get('since'),
    until: search.get('until'),
    control_id: search.get('control_id'),
    patient_id: search.get('patient_id'),
    message_type: search.get('message_type'),
    limit: PAGE,
  };
  let shown = 0;
  const row = (m: MessageSummary) =>
    h(
      'tr',
      { 'data-id': m.id, 'data-control-id': m.control_id, class: 'clickable', onclick: (e: Event) => {
        if ((e.target as Element).closest('a')) return;
        navigate(`/messages/${m.id}`);
      } },
      h('td', null, h('a', { href: `/messages/${m.id}` }, `#${m.id}`)),
      h('td', null, time(m.received_at_ms)),
      h('td', null, m.channel),
      h('td', null, stateBadge(m.state)),
      h('td', null, m.message_type || '—'),
      h('td', { class: 'control-id' }, m.control_id || '—'),
      h('td', null, m.patient_id || '—'),
    );
  const load = async (before?: number) => {
    status.replaceChildren(loading());
    older.hidden = true;
    try {
      const page = await get<MessagePage>(`/api/messages${query({ ...params, before })}`);
      for (const m of page.messages) list.body.appendChild(row(m));
      shown += page.messages.length;
      status.replaceChildren(
        h('p', { class: 'muted' }, shown === 0 ? 'No messages match.' : `${shown} message${shown === 1 ? '' : 's'} shown, newest first${page.more ? '' : ' (all of them)'}.`),
      );
      if (page.more && page.next_before) {
        older.hidden = false;
        older.onclick = () => void load(page.next_before);
      }
    } catch (e) {
      status.replaceChildren(errorBox((e as Error).message));
    }
  };
  void load();
}
