import { appendFileSync } from 'node:fs';

/** One line of the table the chaos suite prints at the end (chaos-table-reporter.js). */
export interface ScenarioRow {
  scenario: string;
  /** Events committed (deliveries the receiver must get). */
  committed: number;
  /** Requests the receiver got for them. */
  received: number;
  /** Distinct X-Webhook-Id values among them. */
  distinct: number;
  /** Extra accepted copies of a delivery the receiver had already accepted (at-least-once). */
  duplicates: number;
  /** Committed deliveries never received. */
  lost: number;
  seconds: number;
  /** CHAOS_SCALE the scenario ran at. */
  scale: number;
  note?: string;
}

/**
 * CHAOS_SCALE multiplies the number of events of every scenario (default 1: sized for CI on two
 * cores); e.g. CHAOS_SCALE=2.5 sends 1,000 events where the default sends 400.
 */
export const CHAOS_SCALE = readScale(process.env.CHAOS_SCALE);

function readScale(value: string | undefined): number {
  const scale = Number(value ?? '1');
  if (!(scale > 0)) throw new Error(`CHAOS_SCALE must be a positive number, got ${value}`);
  return scale;
}

export const scaled = (events: number): number => Math.max(1, Math.round(events * CHAOS_SCALE));

/**
 * Adds a row to the suite's table: a JSON line appended to CHAOS_REPORT_FILE (set by the chaos
 * reporter), or printed at once when the spec runs without that reporter.
 */
export function reportScenario(row: ScenarioRow): void {
  const file = process.env.CHAOS_REPORT_FILE;
  if (file) appendFileSync(file, `${JSON.stringify(row)}\n`);
  else process.stdout.write(`chaos: ${JSON.stringify(row)}\n`);
}
