/** What the receiver got, per route, held against what was produced: every id matched, every signature checked. */
import { ChildProcess } from 'node:child_process';
import { fail } from './context';
import type { RouteConfig, RouteReport } from './receiver';
import { ask } from './support';

export interface RouteCheck {
  route: string;
  received: number;
  missing: number;
  unexpected: number;
  duplicates: number;
  bad_signatures: number;
}

export const configureRoutes = (receiver: ChildProcess, routes: Record<string, RouteConfig>) =>
  ask(receiver, { type: 'configure', routes }, 'configured');

export const resetReceiver = (receiver: ChildProcess) => ask(receiver, { type: 'reset' }, 'reset');

export async function received(receiver: ChildProcess, route: string): Promise<number> {
  return (await ask<{ distinct: number }>(receiver, { type: 'count', route }, 'count')).distinct;
}

export const routeReport = (receiver: ChildProcess, route: string) => ask<RouteReport>(receiver, { type: 'report', route }, 'report');

/**
 * Holds the ids a route received against the ids produced: each missing or unexpected id, and
 * each request whose signature did not verify with the route's secret, fails the section.
 * Duplicates (the same id received again) are allowed by at-least-once delivery and only counted.
 */
export function matchIds(section: string, produced: Iterable<string>, report: RouteReport, route: string): RouteCheck {
  const expected = new Set(produced);
  const got = new Set(report.arrivals.map(([id]) => id));
  const missing = [...expected].filter((id) => !got.has(id));
  const unexpected = [...got].filter((id) => !expected.has(id));
  const check: RouteCheck = {
    route,
    received: got.size,
    missing: missing.length,
    unexpected: unexpected.length,
    duplicates: report.total - got.size,
    bad_signatures: report.badSignatures,
  };
  if (missing.length) fail(section, `${route}: ${missing.length} of ${expected.size} produced ids never received (e.g. ${missing[0]})`);
  if (unexpected.length) fail(section, `${route}: ${unexpected.length} ids received that were not produced (e.g. ${unexpected[0]})`);
  if (report.badSignatures) fail(section, `${route}: ${report.badSignatures} requests whose signature did not verify with its secret`);
  return check;
}

/** "2000/2000 received, 0 duplicates, 0 bad signatures" for each route. */
export const describeChecks = (checks: RouteCheck[]) =>
  checks
    .map(
      (c) =>
        `${checks.length > 1 ? `${c.route} ` : ''}${c.received - c.unexpected}/${c.received - c.unexpected + c.missing} matched, ` +
        `${c.duplicates} dup, ${c.bad_signatures} bad sig`,
    )
    .join('; ');
