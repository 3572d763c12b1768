// One EventSource for the whole console: GET /api/events sends a `stats`
// event every second with every channel's state, counters and rates. Pages
// subscribe while they are shown; the stream stays open across pages, and the
// browser reconnects by itself when the engine restarts.
import type { StatsEvent } from './api';

type Listener = (event: StatsEvent) => void;

const listeners = new Set<Listener>();
let source: EventSource | null = null;
let last: StatsEvent | null = null;
let connectedListener: (connected: boolean, closed: boolean) => void = () => {};

export function startLive(): void {
  if (source) return;
  source = new EventSource('/api/events');
  source.addEventListener('stats', (e) => {
    try {
      last = JSON.parse((e as MessageEvent).data) as StatsEvent;
    } catch {
      return;
    }
    connectedListener(true, false);
    remember(last);
    for (const listener of listeners) listener(last);
  });
  // The browser retries by itself after a network error, but not after an
  // HTTP error such as a 401 (the session ended): then the stream is closed.
  source.addEventListener('error', () => connectedListener(false, source?.readyState === EventSource.CLOSED));
}

export function stopLive(): void {
  source?.close();
  source = null;
  last = null;
  totals.length = 0;
  perChannel.clear();
}

export function onConnection(listener: (connected: boolean, closed: boolean) => void): void {
  connectedListener = listener;
}

// Calls `listener` with every event until the returned function is called.
export function subscribe(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

// The last five minutes of rates, kept while the console is open, so a chart
// opened later starts with its recent past instead of an empty plot.
export interface RatePoint {
  at_ms: number;
  received: number;
  sent: number;
  errored: number;
}
const HISTORY = 300;
const totals: RatePoint[] = [];
const perChannel = new Map<string, RatePoint[]>();

function push(list: RatePoint[], point: RatePoint): void {
  list.push(point);
  if (list.length > HISTORY) list.shift();
}

function remember(event: StatsEvent): void {
  const total: RatePoint = { at_ms: event.at_ms, received: 0, sent: 0, errored: 0 };
  for (const c of event.channels) {
    const point: RatePoint = {
      at_ms: event.at_ms,
      received: c.rates?.received_per_second ?? 0,
      sent: c.rates?.sent_per_second ?? 0,
      errored: c.rates?.errored_per_second ?? 0,
    };
    total.received += point.received;
    total.sent += point.sent;
    total.errored += point.errored;
    let list = perChannel.get(c.name);
    if (!list) perChannel.set(c.name, (list = []));
    push(list, point);
  }
  push(totals, total);
}

export function rateHistory(channel?: string): RatePoint[] {
  return channel === undefined ? totals.slice() : (perChannel.get(channel) ?? []).slice();
}

export function lastStats(): StatsEvent | null {
  return last;
}
