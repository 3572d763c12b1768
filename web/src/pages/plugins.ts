// The loaded connector plugins: version, plugin API, where each came from, and
// the options each side (source, destination) takes.
import { get, type Option, type Plugin } from '../api';
import { h } from '../dom';
import { errorBox, loading, pageTitle, scrollBox, table } from '../ui';

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

export function pluginsPage(root: HTMLElement): void {
  const body = h('div', { class: 'plugins' }, loading());
  root.append(pageTitle('Plugins'), body);
  get<{ plugins: Plugin[] }>('/api/plugins')
    .then(({ plugins }) => {
      body.replaceChildren(
        ...plugins.map((p) =>
          h(
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
            options('Source options', p.source_options),
            options('Destination options', p.destination_options),
          ),
        ),
      );
      if (plugins.length === 0) body.replaceChildren(h('p', { class: 'muted' }, 'No plugins are loaded.'));
    })
    .catch((e) => body.replaceChildren(errorBox((e as Error).message)));
}
