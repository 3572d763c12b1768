// The dashboard: every channel's state and counters, and the engine's msg/s
// chart, live from the `stats` events. Rows are built once per channel and
// then only their text changes (setText skips unchanged cells), so 200
// channels cost a few hundred text updates a second and no re-render.
import { get, type Channel, type Counters } from '../api';
import { clusterPanel } from '../cluster_panel';
import { h, setText } from '../dom';
import { count, rate } from '../format';
import { lastStats, rateHistory, subscribe } from '../live';
import { rateChart } from '../rate_chart';
import { errorBox, loading, pageTitle, scrollBox, stateBadge, table, updateBadge } from '../ui';

const COUNTERS: (keyof Counters)[] = ['received', 'filtered', 'queued', 'sent', 'errored'];

interface Row {
  tr: HTMLTableRowElement;
  badge: HTMLSpanElement;
  reason: HTMLSpanElement;
  cells: Record<keyof Counters, HTMLTableCellElement>;
  inRate: HTMLTableCellElement;
  outRate: HTMLTableCellElement;
  search: string;
}

export function dashboardPage(root: HTMLElement): () => void {
  const chart = rateChart('Messages per second, all channels');
  const summary = {
    channels: h('strong', null, '—'),
    started: h('strong', null, '—'),
    stopped: h('strong', null, '—'),
    received: h('strong', null, '—'),
    errored: h('strong', null, '—'),
    queued: h('strong', null, '—'),
  };
  const tile = (label: string, value: HTMLElement, cls = '') => h('div', { class: `tile ${cls}` }, value, h('span', null, label));
  const filter = h('input', { type: 'search', placeholder: 'Filter channels', 'aria-label': 'Filter channels', class: 'filter' });
  const { table: grid, body } = table(
    ['Channel', 'State', 'Received', 'Filtered', 'Queued', 'Sent', 'Errored', 'In/s', 'Out/s'],
    'channels',
  );
  const status = h('div');
  const cluster = clusterPanel();
  root.append(
    pageTitle('Channels', filter),
    h(
      'div',
      { class: 'tiles' },
      tile('channels', summary.channels),
      tile('started', summary.started, 'good'),
      tile('not running', summary.stopped, 'warn'),
      tile('received', summary.received),
      tile('queued', summary.queued),
      tile('errored', summary.errored, 'bad'),
    ),
    chart.el,
    cluster.el,
    status,
    scrollBox(grid),
  );
  status.appendChild(loading());

  const rows = new Map<string, Row>();
  let order = '';

  const makeRow = (c: Channel): Row => {
    const badge = stateBadge(c.state);
    const reason = h('span', { class: 'reason' });
    const cells = {} as Row['cells'];
    for (const key of COUNTERS) cells[key] = h('td', { class: `num ${key}`, 'data-counter': key });
    const inRate = h('td', { class: 'num rate', 'data-rate': 'received' });
    const outRate = h('td', { class: 'num rate', 'data-rate': 'sent' });
    const link = h('a', { href: `/channels/${encodeURIComponent(c.name)}` }, c.name);
    const tr = h(
      'tr',
      { 'data-channel': c.name },
      h('th', { scope: 'row' }, link, c.description ? h('span', { class: 'description' }, c.description) : null),
      h('td', null, badge, reason),
      COUNTERS.map((k) => cells[k]),
      inRate,
      outRate,
    );
    return { tr, badge, reason, cells, inRate, outRate, search: `${c.name} ${c.description ?? ''}`.toLowerCase() };
  };

  const update = (channels: Channel[]) => {
    const t0 = performance.now();
    status.replaceChildren();
    let started = 0;
    const totals: Counters = { received: 0, filtered: 0, queued: 0, sent: 0, errored: 0 };
    for (const c of channels) {
      let row = rows.get(c.name);
      if (!row) rows.set(c.name, (row = makeRow(c)));
      updateBadge(row.badge, c.state);
      setText(row.reason, c.state === 'failed' && c.reason ? c.reason : '');
      for (const key of COUNTERS) {
        setText(row.cells[key], count(c.counters[key]));
        totals[key] += c.counters[key];
      }
      row.cells.errored.classList.toggle('nonzero', c.counters.errored > 0);
      row.cells.queued.classList.toggle('nonzero', c.counters.queued > 0);
      setText(row.inRate, rate(c.rates?.received_per_second));
      setText(row.outRate, rate(c.rates?.sent_per_second));
      if (c.state === 'started') started++;
    }
    // The row order changes only when channels come or go.
    const names = channels.map((c) => c.name).sort();
    const key = names.join('\n');
    if (key !== order) {
      order = key;
      const present = new Set(names);
      for (const [name, row] of rows) {
        if (present.has(name)) continue;
        row.tr.remove();
        rows.delete(name);
      }
      body.append(...names.map((n) => rows.get(n)!.tr));
      applyFilter();
    }
    if (channels.length === 0) status.appendChild(h('p', { class: 'muted' }, 'No channels are deployed.'));
    setText(summary.channels, count(channels.length));
    setText(summary.started, count(started));
    setText(summary.stopped, count(channels.length - started));
    setText(summary.received, count(totals.received));
    setText(summary.queued, count(totals.queued));
    setText(summary.errored, count(totals.errored));
    // What one stats event costs the page's script, for whoever measures it
    // (the 200-channel measurement in docs/console.md reads it).
    grid.dataset.updateMs = (performance.now() - t0).toFixed(2);
  };

  const applyFilter = () => {
    const words = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
    for (const row of rows.values()) row.tr.hidden = !words.every((w) => row.search.includes(w));
  };
  filter.addEventListener('input', applyFilter);

  for (const p of rateHistory()) chart.add(p.at_ms, p.received, p.sent, p.errored);
  const live = lastStats();
  if (live) update(live.channels);
  else
    get<{ channels: Channel[] }>('/api/channels')
      .then((r) => {
        if (!lastStats()) update(r.channels);
      })
      .catch((e) => status.replaceChildren(errorBox((e as Error).message)));

  const unsubscribe = subscribe((event) => {
    update(event.channels);
    let r = 0,
      s = 0,
      e = 0;
    for (const c of event.channels) {
      r += c.rates?.received_per_second ?? 0;
      s += c.rates?.sent_per_second ?? 0;
      e += c.rates?.errored_per_second ?? 0;
    }
    chart.add(event.at_ms, r, s, e);
  });
  return () => {
    unsubscribe();
    chart.destroy();
    cluster.stop();
  };
}
