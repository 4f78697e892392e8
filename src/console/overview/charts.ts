/**
 * Server-side SVG charts of per-minute series: the geometry only (numbers and fixed class names),
 * drawn by views/partials/chart.hbs. No script and no style attribute: colours come from classes
 * in console.css, so the charts work under the console's CSP.
 */

export interface ChartPoint {
  minute: Date;
  value: number | null;
}

export interface ChartSeries {
  /** A fixed class name (`delivered`, `failed`…), styled by console.css. */
  cls: string;
  label: string;
  points: ChartPoint[];
}

export interface ChartView {
  id: string;
  title: string;
  /** One sentence for screen readers: the latest value and the peak. */
  summary: string;
  width: number;
  height: number;
  gridLines: { x1: number; x2: number; y: number; label: string }[];
  xLabels: { x: number; y: number; label: string; anchor: string }[];
  bars: { x: number; y: number; width: number; height: number; cls: string; tip: string }[];
  lines: { cls: string; points: string }[];
  /** A mark on every non-zero value of a line (a single minute of data draws no line). */
  dots: { cx: number; cy: number; cls: string; tip: string }[];
  legend: { cls: string; label: string }[];
}

const WIDTH = 640;
const HEIGHT = 180;
const PLOT = { left: 44, right: WIDTH - 8, top: 10, bottom: HEIGHT - 22 };

/** A "nice" upper bound for the y axis: 1, 2 or 5 × a power of ten, at least 2 (so the middle line is a whole number). */
export function niceMax(value: number): number {
  if (value <= 2) return 2;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (value <= step * power) return step * power;
  return 10 * power;
}

const round = (n: number) => Math.round(n * 10) / 10;
const hhmm = (d: Date) => d.toISOString().slice(11, 16);

/** Stacked bars, one stack per minute (series stacked in the order given). */
export function barChart(id: string, title: string, unit: string, series: ChartSeries[]): ChartView {
  const minutes = series[0]?.points.map((p) => p.minute) ?? [];
  const totals = minutes.map((_, i) => series.reduce((sum, s) => sum + (s.points[i]?.value ?? 0), 0));
  const max = niceMax(Math.max(0, ...totals));
  const slot = (PLOT.right - PLOT.left) / Math.max(1, minutes.length);
  const scale = (PLOT.bottom - PLOT.top) / max;
  const bars: ChartView['bars'] = [];
  minutes.forEach((minute, i) => {
    let base = PLOT.bottom;
    for (const s of series) {
      const value = s.points[i]?.value ?? 0;
      if (value <= 0) continue;
      const height = value * scale;
      base -= height;
      bars.push({
        x: round(PLOT.left + i * slot + slot * 0.15),
        y: round(base),
        width: round(slot * 0.7),
        height: round(height),
        cls: s.cls,
        tip: `${hhmm(minute)} UTC: ${value} ${s.label.toLowerCase()}`,
      });
    }
  });
  return frame(id, title, summaryOf(minutes, totals, unit), max, minutes, series, { bars, lines: [], dots: [] });
}

/** One line per series (a minute without a value breaks nothing: it is left out of the line). */
export function lineChart(id: string, title: string, unit: string, series: ChartSeries[]): ChartView {
  const minutes = series[0]?.points.map((p) => p.minute) ?? [];
  const values = series.flatMap((s) => s.points.map((p) => p.value ?? 0));
  const max = niceMax(Math.max(0, ...values));
  const slot = (PLOT.right - PLOT.left) / Math.max(1, minutes.length);
  const scale = (PLOT.bottom - PLOT.top) / max;
  const lines = series.map((s) => ({
    cls: s.cls,
    points: s.points
      .map((p, i) => (p.value === null ? undefined : `${round(PLOT.left + i * slot + slot / 2)},${round(PLOT.bottom - p.value * scale)}`))
      .filter((p): p is string => p !== undefined)
      .join(' '),
  }));
  const dots = series.flatMap((s) =>
    s.points.flatMap((p, i) =>
      p.value === null || p.value === 0
        ? []
        : [
            {
              cx: round(PLOT.left + i * slot + slot / 2),
              cy: round(PLOT.bottom - p.value * scale),
              cls: s.cls,
              tip: `${hhmm(p.minute)} UTC: ${p.value} ${unit}`,
            },
          ],
    ),
  );
  const latest = series[0]?.points.map((p) => p.value ?? 0) ?? [];
  return frame(id, title, summaryOf(minutes, latest, unit), max, minutes, series, { bars: [], lines, dots });
}

function frame(
  id: string,
  title: string,
  summary: string,
  max: number,
  minutes: Date[],
  series: ChartSeries[],
  marks: Pick<ChartView, 'bars' | 'lines' | 'dots'>,
): ChartView {
  const gridLines = [0, 0.5, 1].map((f) => ({
    x1: PLOT.left,
    x2: PLOT.right,
    y: round(PLOT.bottom - f * (PLOT.bottom - PLOT.top)),
    label: String(round(max * f)),
  }));
  const slot = (PLOT.right - PLOT.left) / Math.max(1, minutes.length);
  const at = (i: number) => round(PLOT.left + i * slot + slot / 2);
  const last = minutes.length - 1;
  const ticks: [number, string, string][] = [
    [0, 'start', ''],
    [Math.floor(last / 2), 'middle', ''],
    [last, 'end', ' UTC'],
  ];
  const xLabels = ticks.flatMap(([i, anchor, suffix]) => {
    const minute = minutes[i];
    return minute ? [{ x: at(i), y: HEIGHT, label: `${hhmm(minute)}${suffix}`, anchor }] : [];
  });
  return {
    id,
    title,
    summary,
    width: WIDTH,
    height: HEIGHT,
    gridLines,
    xLabels,
    ...marks,
    legend: series.map((s) => ({ cls: s.cls, label: s.label })),
  };
}

function summaryOf(minutes: Date[], values: number[], unit: string): string {
  if (minutes.length === 0) return 'No data.';
  const latest = values[values.length - 1] ?? 0;
  let peak = 0;
  values.forEach((v, i) => {
    if (v > (values[peak] ?? 0)) peak = i;
  });
  const peakMinute = minutes[peak];
  return `Last ${minutes.length} minutes: ${latest} ${unit} in the current minute; peak ${values[peak] ?? 0} ${unit}${peakMinute ? ` at ${hhmm(peakMinute)} UTC` : ''}.`;
}
