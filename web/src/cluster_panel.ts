// The dashboard's cluster panel (docs/cluster.md): on a cluster node, every
// node this engine hears from, whether it is live or gone, and the version
// each runs of each clustered channel. A version that is not the one more
// than half of the live nodes run is marked (all of them, when no version
// has a majority), so a node that lags behind a deploy is seen at a glance. Hidden on a single engine. Polls GET /api/cluster every 2 s
// while shown (the view itself changes once a second).
import { get, type ClusterNode, type ClusterView } from './api';
import { h, setText } from './dom';
import { scrollBox, table } from './ui';

const EVERY_MS = 2000;

function ageText(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 2 ? 'now' : s < 120 ? `${s} s ago` : `${Math.round(s / 60)} min ago`;
}

// For each clustered channel, the version more than half the live nodes run
// (none when no version has a majority).
function commonVersions(nodes: ClusterNode[]): Map<string, string> {
  const tally = new Map<string, Map<string, number>>();
  for (const n of nodes) {
    if (n.gone) continue;
    for (const c of n.channels) {
      if (!c.clustered || !c.version) continue;
      const counts = tally.get(c.name) ?? new Map<string, number>();
      counts.set(c.version, (counts.get(c.version) ?? 0) + 1);
      tally.set(c.name, counts);
    }
  }
  const out = new Map<string, string>();
  for (const [name, counts] of tally) {
    const total = [...counts.values()].reduce((a, b) => a + b, 0);
    for (const [version, n] of counts) if (2 * n > total) out.set(name, version);
  }
  return out;
}

export function clusterPanel(): { el: HTMLElement; stop: () => void } {
  const summary = h('p', { class: 'muted' });
  const { table: grid, body } = table(['Node', 'State', 'Last seen', 'Channels', 'Versions'], 'cluster-nodes');
  const el = h('section', { class: 'cluster', hidden: true, 'aria-label': 'Cluster' }, h('h2', null, 'Cluster'), summary, scrollBox(grid));
  let timer: number | undefined;
  let stopped = false;

  const render = (view: ClusterView) => {
    el.hidden = !view.clustered;
    if (!view.clustered) return;
    const common = commonVersions(view.nodes);
    const live = view.nodes.filter((n) => !n.gone).length;
    setText(summary, `${live} of ${view.nodes.length} nodes live; this page is served by ${view.node ?? '?'}.`);
    body.replaceChildren(
      ...view.nodes.map((n) => {
        const started = n.channels.filter((c) => c.state === 'started').length;
        const versions = n.channels
          .filter((c) => c.clustered)
          .map((c) => {
            const differs = !!c.version && common.get(c.name) !== c.version && !n.gone;
            return h(
              'span',
              { class: `version${differs ? ' differs' : ''}`, 'data-channel': c.name, 'data-version': c.version, title: differs ? `${c.version}: not the version most live nodes run` : c.version },
              `${c.name} ${c.version ? c.version.slice(0, 8) : '—'}`,
            );
          });
        return h(
          'tr',
          { 'data-node': n.node, class: n.gone ? 'gone' : '' },
          h('th', { scope: 'row' }, n.node, n.self ? h('span', { class: 'muted' }, ' · this node') : null),
          h('td', null, h('span', { class: `badge ${n.gone ? 'state-failed' : 'state-started'}`, 'data-state': n.gone ? 'gone' : 'live' }, n.gone ? 'gone' : 'live')),
          h('td', null, n.self ? 'now' : ageText(n.age_ms)),
          h('td', { class: 'num' }, `${started} / ${n.channels.length}`),
          h('td', { class: 'versions' }, ...versions),
        );
      }),
    );
  };

  const poll = () => {
    get<ClusterView>('/api/cluster')
      .then(render)
      .catch(() => {
        el.hidden = true; // an older engine without the route, or a lost connection: the rest of the page says so
      })
      .finally(() => {
        if (!stopped) timer = window.setTimeout(poll, EVERY_MS);
      });
  };
  poll();
  return {
    el,
    stop: () => {
      stopped = true;
      if (timer !== undefined) window.clearTimeout(timer);
    },
  };
}
