// One channel: its state and the operator's buttons (start, stop, pause,
// resume, redeploy — each asks first and shows the engine's answer), the
// counters per destination, the connectors' counters, its msg/s chart and
// its ten most recent errors.
import { enc, get, post, query, type Channel, type Counters, type MessagePage } from '../api';
import { append, h, setText } from '../dom';
import { count, time } from '../format';
import { rateHistory, subscribe } from '../live';
import { rateChart } from '../rate_chart';
import { can } from '../session';
import { confirmAction, errorBox, loading, notice, pageTitle, scrollBox, stateBadge, table, updateBadge } from '../ui';

const COUNTERS: (keyof Counters)[] = ['received', 'filtered', 'queued', 'sent', 'errored'];

const ACTIONS: { action: string; label: string; allowed: (state: string) => boolean; warn: string; danger?: boolean }[] = [
  { action: 'start', label: 'Start', allowed: (s) => s === 'stopped' || s === 'failed', warn: 'The source starts taking messages again.' },
  { action: 'stop', label: 'Stop', allowed: (s) => s === 'started' || s === 'paused', warn: 'The source stops taking messages and the destinations stop delivering. Queued deliveries stay in the store. The channel stays stopped across restarts and redeploys until someone starts it.', danger: true },
  { action: 'pause', label: 'Pause', allowed: (s) => s === 'started', warn: 'The source stops taking messages; destinations keep delivering what is queued.' },
  { action: 'resume', label: 'Resume', allowed: (s) => s === 'paused', warn: 'The source takes messages again.' },
  { action: 'redeploy', label: 'Redeploy', allowed: () => true, warn: 'The channel’s file is read again and the channel redeployed in the state it is in. An invalid file leaves the running version.' },
];

export function channelPage(root: HTMLElement, [name]: string[]): () => void {
  const badge = stateBadge('…');
  const reason = h('p', { class: 'reason' });
  const reload = h('div', { class: 'last-reload', 'data-last-reload': '' });
  const info = h('dl', { class: 'facts' });
  const result = notice();
  const buttons = h('div', { class: 'actions' });
  const counterCells = {} as Record<keyof Counters, HTMLElement>;
  const counters = h(
    'div',
    { class: 'tiles' },
    COUNTERS.map((k) => h('div', { class: `tile ${k === 'errored' ? 'bad' : ''}` }, (counterCells[k] = h('strong', { 'data-counter': k }, '—')), h('span', null, k))),
  );
  const dest = table(['Destination', 'Type', ...COUNTERS.map((c) => c[0].toUpperCase() + c.slice(1))], 'destinations');
  const conn = table(['Connector', 'Requests', 'Bytes in', 'Bytes out', 'Open', 'Connections', 'Refused', 'Errors'], 'connectors');
  const errors = h('div', { class: 'recent-errors' }, loading());
  const chart = rateChart(`Messages per second, ${name}`);
  const messagesLink = h('a', { href: `/messages${query({ channel: name })}` }, 'All messages of this channel →');

  root.append(
    pageTitle(name, badge),
    reason,
    reload,
    info,
    can('operator') ? h('div', { class: 'action-bar' }, buttons, result.el) : '',
    counters,
    chart.el,
    h('h2', null, 'Destinations'),
    scrollBox(dest.table),
    h('h2', null, 'Connectors'),
    scrollBox(conn.table),
    h('div', { class: 'section-head' }, h('h2', null, 'Recent errors'), messagesLink),
    errors,
  );

  const destRows = new Map<string, Record<keyof Counters, HTMLElement>>();
  let state = '';
  let busy = false;

  const renderButtons = () => {
    buttons.replaceChildren(
      ...ACTIONS.map((a) =>
        h(
          'button',
          {
            class: a.danger ? 'danger' : 'secondary',
            'data-action': a.action,
            disabled: busy || !a.allowed(state),
            onclick: () => act(a),
          },
          a.label,
        ),
      ),
    );
  };

  const act = async (a: (typeof ACTIONS)[number]) => {
    const ok = await confirmAction(`${a.label} ${name}?`, a.warn, a.label, a.danger);
    if (!ok) return;
    busy = true;
    renderButtons();
    result.clear();
    try {
      const after = await post<Channel>(`/api/channels/${enc(name)}/${a.action}`);
      show(after);
      result.ok(`${a.label}: done — the channel is ${after.state}${after.reason ? ` (${after.reason})` : ''}.`);
    } catch (e) {
      result.error(`${a.label} refused: ${(e as Error).message}`);
    } finally {
      busy = false;
      renderButtons();
    }
  };

  // The last hot reload: when, and, when it was refused, every problem with
  // its file:line:col (the running version stayed).
  let reloadShown = '';
  const showReload = (c: Channel) => {
    const last = c.last_reload;
    const key = last ? `${last.at}|${last.ok}|${last.error}` : '';
    if (key === reloadShown) return;
    reloadShown = key;
    if (!last) {
      reload.replaceChildren();
      return;
    }
    reload.dataset.lastReload = last.ok ? 'ok' : 'failed';
    reload.replaceChildren(
      h('p', { class: last.ok ? 'reload-ok' : 'reason' }, last.ok ? `Reloaded ${time(last.at)}` : `Reload refused ${time(last.at)}: the running version stays`),
      last.error ? h('pre', { class: 'reload-error' }, last.error) : '',
    );
  };

  const show = (c: Channel) => {
    if (c.state !== state) {
      state = c.state;
      updateBadge(badge, c.state);
      renderButtons();
    }
    setText(reason, c.reason ? `Reason: ${c.reason}` : '');
    showReload(c);
    for (const k of COUNTERS) setText(counterCells[k], count(c.counters[k]));
    for (const d of c.destinations ?? []) {
      let cells = destRows.get(d.name);
      if (!cells) {
        cells = {} as Record<keyof Counters, HTMLElement>;
        for (const k of COUNTERS) cells[k] = h('td', { class: 'num', 'data-counter': k });
        dest.body.appendChild(
          h('tr', { 'data-destination': d.name }, h('th', { scope: 'row' }, d.name), h('td', null, d.type || '—'), COUNTERS.map((k) => cells![k])),
        );
        destRows.set(d.name, cells);
      }
      for (const k of COUNTERS) setText(cells[k], count(d.counters[k]));
    }
  };

  const showInfo = (c: Channel) => {
    info.replaceChildren();
    append(info, [
      h('dt', null, 'Source'),
      h('dd', null, c.source),
      c.description ? [h('dt', null, 'Description'), h('dd', null, c.description)] : null,
      c.file ? [h('dt', null, 'File'), h('dd', { class: 'path' }, c.file)] : null,
    ]);
    conn.body.replaceChildren(
      ...(c.connectors ?? []).map((k) =>
        h(
          'tr',
          null,
          h('th', { scope: 'row' }, k.connector),
          h('td', { class: 'num' }, count(k.requests)),
          h('td', { class: 'num' }, count(k.bytes_in)),
          h('td', { class: 'num' }, count(k.bytes_out)),
          h('td', { class: 'num' }, count(k.connections_open)),
          h('td', { class: 'num' }, count(k.connections_total)),
          h('td', { class: 'num' }, count(k.connections_refused)),
          h('td', null, Object.entries(k.errors ?? {}).map(([kind, n]) => `${kind}: ${n}`).join(', ') || '—'),
        ),
      ),
    );
    if (!c.connectors?.length) conn.body.appendChild(h('tr', null, h('td', { colspan: 8, class: 'muted' }, 'No connector counters.')));
  };

  const loadErrors = async () => {
    try {
      const page = await get<MessagePage>(`/api/messages${query({ channel: name, status: 'ERROR', limit: 10 })}`);
      if (page.messages.length === 0) {
        errors.replaceChildren(h('p', { class: 'muted' }, 'No errored messages.'));
        return;
      }
      const t = table(['Id', 'Received', 'Type', 'Control id', 'Patient']);
      for (const m of page.messages)
        t.body.appendChild(
          h(
            'tr',
            null,
            h('td', null, h('a', { href: `/messages/${m.id}` }, `#${m.id}`)),
            h('td', null, time(m.received_at_ms)),
            h('td', null, m.message_type || '—'),
            h('td', null, m.control_id || '—'),
            h('td', null, m.patient_id || '—'),
          ),
        );
      errors.replaceChildren(scrollBox(t.table));
    } catch (e) {
      errors.replaceChildren(errorBox(`Recent errors: ${(e as Error).message}`));
    }
  };

  get<Channel>(`/api/channels/${enc(name)}`)
    .then((c) => {
      show(c);
      showInfo(c);
    })
    .catch((e) => root.replaceChildren(pageTitle(name), errorBox((e as Error).message)));
  void loadErrors();

  for (const p of rateHistory(name)) chart.add(p.at_ms, p.received, p.sent, p.errored);
  let lastErrored = -1;
  const unsubscribe = subscribe((event) => {
    const c = event.channels.find((x) => x.name === name);
    if (!c) return;
    show(c);
    chart.add(event.at_ms, c.rates?.received_per_second ?? 0, c.rates?.sent_per_second ?? 0, c.rates?.errored_per_second ?? 0);
    // New errors: the list follows without a reload.
    if (lastErrored >= 0 && c.counters.errored !== lastErrored) void loadErrors();
    lastErrored = c.counters.errored;
  });
  return () => {
    unsubscribe();
    chart.destroy();
  };
}


