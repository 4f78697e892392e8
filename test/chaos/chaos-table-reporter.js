/**
 * Jest reporter of the chaos suite: the specs append one JSON line per scenario to
 * CHAOS_REPORT_FILE (chaos-report.ts); at the end of the run this prints them as one table.
 */
const { existsSync, readFileSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

const COLUMNS = [
  ['scenario', 'scenario'],
  ['scale', 'scale'],
  ['committed', 'committed'],
  ['received', 'received'],
  ['distinct', 'distinct'],
  ['duplicates', 'duplicates'],
  ['lost', 'lost'],
  ['seconds', 'seconds'],
  ['note', 'note'],
];

class ChaosTableReporter {
  constructor() {
    this.file = join(tmpdir(), `chaos-report-${process.pid}-${Date.now()}.jsonl`);
    // The specs run in band in this process, in environments created after this point: they see it.
    process.env.CHAOS_REPORT_FILE = this.file;
  }

  onRunComplete() {
    if (!existsSync(this.file)) return;
    const rows = readFileSync(this.file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line));
    rmSync(this.file, { force: true });
    process.stdout.write(`\n${formatTable(rows)}\n`);
  }
}

function cell(row, key) {
  const value = row[key];
  if (value === undefined || value === null) return '';
  if (key === 'seconds') return value.toFixed(1);
  return String(value);
}

function formatTable(rows) {
  const cells = rows.map((row) => COLUMNS.map(([key]) => cell(row, key)));
  const widths = COLUMNS.map(([, title], i) => Math.max(title.length, ...cells.map((c) => c[i].length)));
  const line = (values) =>
    values.map((v, i) => (i === 0 || i === values.length - 1 ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join('  ');
  const total = rows.reduce((sum, row) => sum + row.seconds, 0);
  return [
    'Chaos scenarios (lost must be 0; duplicates are allowed: delivery is at least once)',
    line(COLUMNS.map(([, title]) => title)),
    line(widths.map((w) => '-'.repeat(w))),
    ...cells.map(line),
    `total ${total.toFixed(1)} s in scenarios`,
  ].join('\n');
}

module.exports = ChaosTableReporter;
