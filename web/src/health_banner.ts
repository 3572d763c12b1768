// The banner over every page when the engine is not healthy: GET /api/health
// every 10 s (public, cheap), with the reasons it gives.
import { get, ApiError, type Health } from './api';
import { h } from './dom';

export function healthBanner(): { el: HTMLElement; stop: () => void } {
  const el = h('div', { class: 'health', role: 'status', hidden: true });
  let lastKey = '';
  const check = async () => {
    let health: Health;
    try {
      health = await get<Health>('/api/health');
    } catch (e) {
      // 503 carries the critical verdict as its body; request() keeps only
      // the message, so ask again by hand for the reasons.
      if (e instanceof ApiError && e.status === 503) {
        try {
          health = (await (await fetch('/api/health')).json()) as Health;
        } catch {
          return;
        }
      } else {
        health = { status: 'critical', reasons: [{ level: 'critical', channel: '', text: `the engine does not answer: ${(e as Error).message}` }] };
      }
    }
    const key = JSON.stringify(health.reasons) + health.status;
    if (key === lastKey) return;
    lastKey = key;
    el.hidden = health.status === 'healthy';
    el.className = `health ${health.status}`;
    el.dataset.status = health.status;
    el.replaceChildren(
      h('strong', null, health.status === 'critical' ? 'Critical' : 'Degraded'),
      h(
        'ul',
        null,
        health.reasons.slice(0, 5).map((r) =>
          h('li', null, r.channel ? [h('a', { href: `/channels/${encodeURIComponent(r.channel)}` }, r.channel), ': '] : null, r.text),
        ),
        health.reasons.length > 5 ? h('li', null, `and ${health.reasons.length - 5} more`) : null,
      ),
    );
  };
  void check();
  const timer = window.setInterval(check, 10_000);
  return { el, stop: () => window.clearInterval(timer) };
}
