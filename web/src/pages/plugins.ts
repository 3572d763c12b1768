// The loaded connector plugins: version, plugin API, the file each came from
// and the copy it runs from (hot load loads every build from its own copy),
// when it was loaded, what the last reload did with its file, and the options
// each side (source, destination) takes. Also: builds a reload replaced that
// are still in memory (a channel still runs on them), files refused as they
// are now, and, for operators, a button that reloads the plugins folder.
import { get, post, type FileRefusal, type Option, type Plugin, type PluginList, type PluginsReloadOutcome, type RetiredPlugin } from '../api';
import { h } from '../dom';
import { ago, time } from '../format';
import { can } from '../session';
import { confirmAction, errorBox, loading, notice, pageTitle, scrollBox, table } from '../ui';

function options(title: string, list: Option[] | undefined): HTMLElement | null {
  if (!list) return null;
  if (list.length === 0) return h('p', { class: 'muted small' }, `${title}: no options.`);
  const t = table(['Option', 'Type', 'Required', 'Default', 'Meaning'], 'options');
  for (const o of list)
    t.body.appendChild(
      h(
        'tr',
        null,
        h('th', { scope: 'row' }, h('code', null, o.key)),
        h('td', null, o.type),
        h('td', null, o.required ? 'yes' : ''),
        h('td', null, o.default !== undefined ? h('code', null, o.default) : ''),
        h('td', null, o.description),
      ),
    );
  return h('details', null, h('summary', null, `${title} (${list.length})`), scrollBox(t.table));
}

function lastReload(p: Plugin): HTMLElement | null {
  const r = p.last_reload;
  if (!r) return null;
  return h(
    'p',
    { class: `last-reload small ${r.ok ? '' : 'error-text'}`, 'data-ok': r.ok ? 'true' : 'false' },
    h('span', { class: `badge ${r.ok ? 'ok' : 'refused'}` }, r.ok ? 'reloaded' : 'refused'),
    ' ',
    h('span', { title: time(r.at_ms) }, ago(r.at_ms)),
    ': ',
    r.detail,
    r.ok ? '' : ` — ${p.version} keeps running`,
  );
}

function pluginCard(p: Plugin): HTMLElement {
  return h(
    'article',
    { class: 'card plugin', 'data-plugin': p.name },
    h('header', null, h('h2', null, p.name), h('span', { class: 'version' }, `v${p.version}`)),
    h('p', null, p.description),
    h(
      'p',
      { class: 'muted small' },
      [p.source ? 'source' : '', p.destination ? 'destination' : ''].filter(Boolean).join(' and '),
      ` · plugin API ${p.api} · `,
      p.builtin ? 'built in' : h('span', { class: 'path' }, p.file),
    ),
    p.builtin
      ? null
      : h(
          'p',
          { class: 'muted small' },
          'loaded ',
          h('span', { class: 'loaded-at', title: time(p.loaded_at_ms) }, ago(p.loaded_at_ms)),
          p.copy ? [' · runs from ', h('span', { class: 'path copy' }, p.copy)] : '',
          p.sha256 ? [' · sha256 ', h('code', { title: p.sha256 }, p.sha256.slice(0, 12))] : '',
        ),
    lastReload(p),
    options('Source options', p.source_options),
    options('Destination options', p.destination_options),
  );
}

function retiredList(list: RetiredPlugin[]): HTMLElement | null {
  if (list.length === 0) return null;
  const t = table(['Plugin', 'Version', 'Replaced', 'Why it is still in memory', 'Copy'], 'retired');
  for (const r of list)
    t.body.appendChild(
      h(
        'tr',
        null,
        h('th', { scope: 'row' }, r.name),
        h('td', null, r.version),
        h('td', { title: time(r.retired_at_ms) }, ago(r.retired_at_ms)),
        h('td', null, r.in_use ? 'a channel still runs on it' : 'released, but the loader keeps it mapped'),
        h('td', { class: 'path' }, r.copy),
      ),
    );
  return h('section', { class: 'retired-plugins' }, h('h2', null, 'Replaced builds still in memory'), scrollBox(t.table));
}

function refusedList(list: FileRefusal[]): HTMLElement | null {
  if (list.length === 0) return null;
  const t = table(['File', 'Why it was refused'], 'refused');
  for (const r of list) t.body.appendChild(h('tr', null, h('th', { scope: 'row', class: 'path' }, r.file), h('td', null, r.reason)));
  return h('section', { class: 'refused-plugins' }, h('h2', null, 'Refused files'), scrollBox(t.table));
}

export function pluginsPage(root: HTMLElement): void {
  const body = h('div', { class: 'plugins' }, loading());
  const extra = h('div', { class: 'plugin-status' });
  const result = notice();
  const button = h('button', { class: 'secondary', 'data-action': 'reload-plugins', onclick: () => reload() }, 'Reload plugins');
  root.append(
    pageTitle('Plugins'),
    can('operator') ? h('div', { class: 'action-bar' }, button, result.el) : '',
    body,
    extra,
  );

  const render = (list: PluginList) => {
    const { plugins } = list;
    body.replaceChildren(...plugins.map(pluginCard));
    if (plugins.length === 0) body.replaceChildren(h('p', { class: 'muted' }, 'No plugins are loaded.'));
    extra.replaceChildren(...[retiredList(list.retired ?? []), refusedList(list.refused ?? [])].filter((e): e is HTMLElement => e !== null));
  };
  const load = () =>
    get<PluginList>('/api/plugins')
      .then(render)
      .catch((e) => body.replaceChildren(errorBox((e as Error).message)));

  const reload = async () => {
    const ok = await confirmAction(
      'Reload plugins?',
      'The plugins folder is read again. New and changed libraries are loaded from their own copies and checked; the channels using a replaced plugin are redeployed onto it. A library that is refused leaves the running version.',
      'Reload',
    );
    if (!ok) return;
    button.disabled = true;
    result.clear();
    try {
      const outcome = await post<PluginsReloadOutcome>('/api/plugins/reload');
      if (outcome.ok) result.ok(outcome.plugins);
      else result.error(outcome.error || outcome.plugins);
    } catch (e) {
      result.error((e as Error).message);
    } finally {
      button.disabled = false;
      void load();
    }
  };

  void load();
}
