import { barChart, lineChart, niceMax } from './charts';

const minutes = (n: number) => Array.from({ length: n }, (_, i) => new Date(Date.UTC(2026, 11, 1, 18, i)));

describe('charts', () => {
  it('rounds the y axis up to 2, 5 or 10 × a power of ten (at least 2)', () => {
    expect([0, 1, 2, 3, 7, 10, 11, 240, 5000].map(niceMax)).toEqual([2, 2, 2, 5, 10, 10, 20, 500, 5000]);
  });

  it('stacks bars per minute, scaled to the axis, and leaves empty minutes out', () => {
    const [a, b, c] = minutes(3);
    const sut = barChart('c', 'Failed and retrying', 'attempts', [
      { cls: 'failed', label: 'Failed', points: [a, b, c].map((minute, i) => ({ minute: minute!, value: [2, 0, 1][i]! })) },
      { cls: 'retrying', label: 'Retrying', points: [a, b, c].map((minute, i) => ({ minute: minute!, value: [3, 0, 0][i]! })) },
    ]);
    expect(sut.bars.map((bar) => bar.cls)).toEqual(['failed', 'retrying', 'failed']);
    const [failed, retrying] = sut.bars;
    // Max 5 → niceMax 5: the first stack fills the plot; retrying sits on top of failed.
    expect(failed!.y + failed!.height).toBeCloseTo(retrying!.y + retrying!.height + failed!.height, 0);
    expect(failed!.height / retrying!.height).toBeCloseTo(2 / 3, 1);
    expect(sut.gridLines.map((g) => g.label)).toEqual(['0', '2.5', '5']);
    expect(sut.xLabels.map((x) => x.label)).toEqual(['18:00', '18:01', '18:02 UTC']);
    expect(sut.summary).toBe('Last 3 minutes: 1 attempts in the current minute; peak 5 attempts at 18:00 UTC.');
  });

  it('draws a line through the minutes that have a value', () => {
    const sut = lineChart('l', 'p95', 'ms', [
      { cls: 'latency', label: 'p95', points: minutes(3).map((minute, i) => ({ minute, value: [10, null, 20][i]! })) },
    ]);
    expect(sut.lines[0]!.points.split(' ')).toHaveLength(2);
    expect(sut.bars).toEqual([]);
  });
});
