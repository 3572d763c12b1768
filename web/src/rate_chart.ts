// The live msg/s chart (uPlot): received, sent and errored per second over
// the last five minutes, one point per `stats` event. The data lives in
// fixed arrays shifted in place, so a point costs one setData, not a redraw
// of the page.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { h, setText } from './dom';
import { rate } from './format';

const WINDOW_POINTS = 300;

export interface RateChart {
  el: HTMLElement;
  add(atMs: number, received: number, sent: number, errored: number): void;
  destroy(): void;
}

export function rateChart(title: string): RateChart {
  const plotBox = h('div', { class: 'chart-plot' });
  const readout = {
    received: h('span', { class: 'value', 'data-series': 'received' }, '0'),
    sent: h('span', { class: 'value', 'data-series': 'sent' }, '0'),
    errored: h('span', { class: 'value', 'data-series': 'errored' }, '0'),
  };
  const el = h(
    'section',
    { class: 'chart', 'aria-label': title, 'data-points': 0, 'data-peak-received': 0 },
    h(
      'header',
      null,
      h('h2', null, title),
      h(
        'p',
        { class: 'readout' },
        h('span', { class: 'key received' }, 'received ', readout.received, ' msg/s'),
        h('span', { class: 'key sent' }, 'sent ', readout.sent, ' msg/s'),
        h('span', { class: 'key errored' }, 'errored ', readout.errored, ' msg/s'),
      ),
    ),
    plotBox,
  );

  const xs: number[] = [];
  const received: number[] = [];
  const sent: number[] = [];
  const errored: number[] = [];
  let peak = 0;
  let plot: uPlot | null = null;

  const opts = (width: number): uPlot.Options => ({
    width,
    height: 180,
    legend: { show: false },
    cursor: { drag: { x: false, y: false } },
    scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.15)] } },
    axes: [
      {
        stroke: '#5b6472',
        grid: { stroke: '#e6e9ee' },
        space: 70,
        incrs: [1, 2, 5, 10, 15, 30, 60, 120, 300],
        // Whole seconds: the points are a second apart.
        values: (_u, splits) => splits.map((s) => new Date(s * 1000).toLocaleTimeString([], { hour12: false })),
      },
      { stroke: '#5b6472', grid: { stroke: '#e6e9ee' }, size: 48 },
    ],
    series: [
      {},
      { label: 'received', stroke: '#2563eb', width: 2, fill: 'rgba(37,99,235,0.08)' },
      { label: 'sent', stroke: '#16a34a', width: 2 },
      { label: 'errored', stroke: '#dc2626', width: 2 },
    ],
  });

  const draw = () => {
    const width = Math.max(240, Math.floor(plotBox.clientWidth));
    if (!plot) {
      if (plotBox.clientWidth === 0) return; // not in the document yet
      plot = new uPlot(opts(width), [xs, received, sent, errored], plotBox);
    } else if (Math.abs(plot.width - width) > 2) {
      plot.setSize({ width, height: 180 });
    }
  };
  const resize = new ResizeObserver(() => draw());
  resize.observe(plotBox);

  return {
    el,
    add(atMs, r, s, e) {
      xs.push(atMs / 1000);
      received.push(r);
      sent.push(s);
      errored.push(e);
      if (xs.length > WINDOW_POINTS) {
        xs.shift();
        received.shift();
        sent.shift();
        errored.shift();
      }
      peak = Math.max(peak, r);
      setText(readout.received, rate(r));
      setText(readout.sent, rate(s));
      setText(readout.errored, rate(e));
      el.dataset.points = String(xs.length);
      el.dataset.peakReceived = String(peak);
      draw();
      plot?.setData([xs, received, sent, errored]);
    },
    destroy() {
      resize.disconnect();
      plot?.destroy();
      plot = null;
    },
  };
}
