import { h, svg } from './dom.js';

const WIDTH = 240;
const HEIGHT = 48;

/** A bar per minute of the last hour; the label carries the numbers for screen readers. */
export function minuteChart(title: string, values: readonly number[], unit = ''): HTMLElement {
  const max = Math.max(1, ...values);
  const step = WIDTH / Math.max(1, values.length);
  const bars = values.map((v, i) => {
    const height = v === 0 ? 0 : Math.max(1, (v / max) * (HEIGHT - 2));
    return svg('rect', { x: (i * step).toFixed(2), y: (HEIGHT - height).toFixed(2), width: Math.max(1, step - 1).toFixed(2), height: height.toFixed(2) });
  });
  const total = values.reduce((a, b) => a + b, 0);
  const last = values.at(-1) ?? 0;
  const summary = unit ? `latest ${formatNumber(last)}${unit}` : `${formatNumber(total)} in the last hour, ${formatNumber(last)} this minute`;
  const picture = svg('svg', { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: 'img', 'aria-label': `${title}: ${summary}`, preserveAspectRatio: 'none' },
    svg('line', { x1: 0, y1: HEIGHT - 0.5, x2: WIDTH, y2: HEIGHT - 0.5, class: 'axis' }), ...bars);
  return h('figure', { class: 'chart' }, picture, h('figcaption', {}, h('strong', {}, title), ` ${summary}`));
}

export function formatNumber(value: number): string {
  return Number.isInteger(value) ? value.toLocaleString() : value.toFixed(1);
}
