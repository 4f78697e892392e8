/**
 * The run's plots as one SVG: deliveries per second over each throughput section (bridge vs the
 * bare pipeline), and the commit → receipt latency distribution at the latency section's rate
 * (bridge vs the bare pipeline at the same rate). Scales and ticks come from d3-scale; the
 * marks are plain SVG.
 */
import { scaleLinear, scaleLog } from 'd3-scale';
import type { plots as Plots } from './context';

const WIDTH = 900;
const PANEL = 320;
const MARGIN = { top: 36, right: 170, bottom: 44, left: 64 };
const COLORS = ['#d62728', '#1f77b4', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2'];

interface Series {
  name: string;
  points: [number, number][];
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

/** One panel: axes with ticks, a line per series, a legend on the right. */
function panel(
  top: number,
  title: string,
  xLabel: string,
  yLabel: string,
  series: Series[],
  x: (domain: [number, number]) => { scale: (v: number) => number; ticks: number[]; format: (v: number) => string },
): string {
  const all = series.flatMap((s) => s.points);
  if (all.length === 0) return `<text x="${MARGIN.left}" y="${top + 40}" font-size="13">${esc(title)}: not measured in this run</text>`;
  const left = MARGIN.left;
  const right = WIDTH - MARGIN.right;
  const plotTop = top + MARGIN.top;
  const bottom = top + PANEL - MARGIN.bottom;
  const xs = all.map(([v]) => v);
  const xAxis = x([Math.min(...xs), Math.max(...xs)]);
  const toX = (v: number) => left + xAxis.scale(v) * (right - left);
  const y = scaleLinear()
    .domain([0, Math.max(...all.map(([, v]) => v))])
    .nice()
    .range([bottom, plotTop]);
  const out: string[] = [`<text x="${left}" y="${top + 20}" font-size="15" font-weight="bold">${esc(title)}</text>`];
  for (const t of y.ticks(6)) {
    out.push(`<line x1="${left}" x2="${right}" y1="${y(t)}" y2="${y(t)}" stroke="#eee"/>`);
    out.push(`<text x="${left - 6}" y="${y(t) + 4}" font-size="11" text-anchor="end">${y.tickFormat(6, '~s')(t)}</text>`);
  }
  for (const t of xAxis.ticks) {
    out.push(`<line x1="${toX(t)}" x2="${toX(t)}" y1="${bottom}" y2="${bottom + 4}" stroke="#333"/>`);
    out.push(`<text x="${toX(t)}" y="${bottom + 17}" font-size="11" text-anchor="middle">${xAxis.format(t)}</text>`);
  }
  out.push(`<line x1="${left}" x2="${right}" y1="${bottom}" y2="${bottom}" stroke="#333"/>`);
  out.push(`<line x1="${left}" x2="${left}" y1="${plotTop}" y2="${bottom}" stroke="#333"/>`);
  out.push(`<text x="${(left + right) / 2}" y="${bottom + 36}" font-size="12" text-anchor="middle">${esc(xLabel)}</text>`);
  out.push(
    `<text transform="translate(${left - 48},${(plotTop + bottom) / 2}) rotate(-90)" font-size="12" text-anchor="middle">${esc(yLabel)}</text>`,
  );
  series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length]!;
    const d = s.points.map(([a, b], k) => `${k ? 'L' : 'M'}${toX(a).toFixed(1)},${y(b).toFixed(1)}`).join('');
    out.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="1.8"/>`);
    out.push(
      `<line x1="${right + 14}" x2="${right + 34}" y1="${plotTop + 8 + i * 18}" y2="${plotTop + 8 + i * 18}" stroke="${color}" stroke-width="3"/>`,
    );
    out.push(`<text x="${right + 40}" y="${plotTop + 12 + i * 18}" font-size="12">${esc(s.name)}</text>`);
  });
  return out.join('\n');
}

const linear = (domain: [number, number]) => {
  const s = scaleLinear().domain(domain).nice().range([0, 1]);
  return { scale: (v: number) => s(v), ticks: s.ticks(10), format: s.tickFormat(10) };
};

const log = (domain: [number, number]) => {
  const s = scaleLog()
    .domain([Math.max(0.1, domain[0]), Math.max(1, domain[1])])
    .nice()
    .range([0, 1]);
  const ticks = s.ticks().filter((t) => Math.log10(t) % 1 === 0);
  return { scale: (v: number) => s(Math.max(0.1, v)), ticks, format: (v: number) => (v >= 1000 ? `${v / 1000} s` : `${v} ms`) };
};

/** Sorted delays as a distribution: (delay, percentile) at most 200 points. */
function distribution(name: string, sorted: number[] | undefined): Series[] {
  if (!sorted?.length) return [];
  const step = Math.max(1, Math.floor(sorted.length / 200));
  const points: [number, number][] = [];
  for (let i = 0; i < sorted.length; i += step) points.push([sorted[i]!, ((i + 1) / sorted.length) * 100]);
  points.push([sorted[sorted.length - 1]!, 100]);
  return [{ name, points }];
}

export function plotSvg(data: typeof Plots, rate: number): string {
  const throughput: Series[] = Object.entries(data.throughput).map(([name, { slotMs, counts }]) => ({
    name,
    points: counts.map((n, i): [number, number] => [((i + 1) * slotMs) / 1000, (n * 1000) / slotMs]),
  }));
  const latency = [...distribution('bridge', data.latency), ...distribution('bare BullMQ + undici', data.baselineLatency)];
  const body = [
    panel(0, 'Deliveries per second over each section', 'seconds since the section started', 'deliveries/s', throughput, linear),
    panel(PANEL, `Commit → receipt latency at ${rate}/s, one event per transaction`, 'latency (log scale)', 'percentile', latency, log),
  ].join('\n');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${2 * PANEL}" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>
${body}
</svg>
`;
}
