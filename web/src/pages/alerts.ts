// Alerts: the rules from the engine's config with their current state, and
// the recent alert events (fired, resolved, notifications sent or failed).
// Shown as GET /api/alerts returns them: the columns come from the data, so
// a field the engine adds shows up without a console change.
import { ApiError, get } from '../api';
import { h } from '../dom';
import { time } from '../format';
import { errorBox, loading, pageTitle, scrollBox, table } from '../ui';

type Row = Record<string, unknown>;

function cell(key: string, value: unknown): Node | string {
  if (value === null || value === undefined || value === '') return '—';
  if (typeof value === 'number' && key.endsWith('_ms')) return time(value);
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (key === 'state' || key === 'status' || key === 'kind')
    return h('span', { class: `badge alert-${String(value).toLowerCase()}` }, String(value));
  if (typeof value === 'object') return h('code', null, JSON.stringify(value));
  return String(value);
}

function rowsTable(rows: Row[], className: string): HTMLElement {
  const columns: string[] = [];
  for (const r of rows) for (const k of Object.keys(r)) if (!columns.includes(k)) columns.push(k);
  const t = table(columns.map((c) => c.replace(/_ms$/, '').replace(/_/g, ' ')), className);
  for (const r of rows) t.body.appendChild(h('tr', null, columns.map((c) => h('td', null, cell(c, r[c])))));
  return scrollBox(t.table);
}

export function alertsPage(root: HTMLElement): void {
  const body = h('div', null, loading());
  root.append(pageTitle('Alerts'), body);
  get<{ rules?: Row[]; events?: Row[] }>('/api/alerts')
    .then((r) => {
      const rules = r.rules ?? [];
      const events = r.events ?? [];
      body.replaceChildren(
        h('h2', null, 'Rules'),
        rules.length ? rowsTable(rules, 'alert-rules') : h('p', { class: 'muted' }, 'No alert rules: they are set under alerts: in the engine config (artery.yaml).'),
        h('h2', null, 'Recent events'),
        events.length ? rowsTable(events, 'alert-events') : h('p', { class: 'muted' }, 'No alert has fired.'),
      );
    })
    .catch((e) =>
      body.replaceChildren(
        e instanceof ApiError && e.status === 404
          ? h('p', { class: 'muted' }, 'This engine does not serve alerts (GET /api/alerts: 404).')
          : errorBox((e as Error).message),
      ),
    );
}
