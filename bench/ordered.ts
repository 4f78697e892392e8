/**
 * The `ordered` section: events spread at random over E leads, one per transaction, many in
 * flight, to a `per_entity` subscription (each lead's events must arrive in commit order) and
 * then to an `ordering: none` one for comparison.
 */
import { ChildProcess } from 'node:child_process';
import type { Commit } from './bridge';
import { fail, options } from './context';
import { delays, deliver } from './delivery-run';
import { configureRoutes } from './deliveries';
import type { RouteReport } from './receiver';
import { createSubscription, deleteSubscription } from './subscriptions';
import { percentile, round } from './support';

/**
 * Per entity, the receiver's order of first arrivals against the commit order: `inversions`
 * counts each place where a delivery arrived right after one committed later for its entity;
 * `misplaced` counts deliveries whose body named another entity than the one committed.
 */
function orderCheck(commits: Commit[], report: RouteReport) {
  const committed = new Map<string, string[]>();
  for (const [id, , entity] of commits) {
    const list = committed.get(entity);
    if (list) list.push(id);
    else committed.set(entity, [id]);
  }
  const arrived = new Map(report.entities);
  let inversions = 0;
  let outOfOrder = 0;
  let misplaced = 0;
  for (const [entity, ids] of committed) {
    const rank = new Map(ids.map((id, i) => [id, i]));
    const ranks = (arrived.get(entity) ?? []).map((id) => rank.get(id) ?? -1);
    let inverted = 0;
    for (let i = 1; i < ranks.length; i++) if (ranks[i]! < ranks[i - 1]!) inverted++;
    inversions += inverted;
    misplaced += ranks.filter((r) => r === -1).length;
    if (inverted) outOfOrder++;
  }
  return {
    entities: committed.size,
    max_events_per_entity: Math.max(...[...committed.values()].map((l) => l.length)),
    inversions,
    entities_out_of_order: outOfOrder,
    misplaced,
  };
}

/**
 * Events spread at random over E leads, one per transaction, many in flight: first to a
 * `per_entity` subscription (every lead's events must arrive in commit order), then the same to
 * an `ordering: none` one for comparison. Neither is taken by the built-in subscription (their
 * event types are in this bridge's N8N_DISABLED_EVENTS).
 */
export async function ordered(bridge: ChildProcess, apiUrl: string, receiver: ChildProcess, receiverUrl: string) {
  const perEntity = await createSubscription(apiUrl, bridge, {
    name: 'bench-ordered',
    url: `${receiverUrl}/ordered/{event}`,
    eventTypes: ['lead_qualified'],
    ordering: 'per_entity',
  });
  const none = await createSubscription(apiUrl, bridge, {
    name: 'bench-unordered',
    url: `${receiverUrl}/unordered/{event}`,
    eventTypes: ['lead_responded'],
  });
  try {
    await configureRoutes(receiver, {
      ordered: { secret: perEntity.secret, entities: true },
      unordered: { secret: none.secret, entities: true },
    });
    const run = async (ordering: 'per_entity' | 'none', route: string, eventType: 'lead_qualified' | 'lead_responded') => {
      const section = `ordered (${ordering})`;
      const { result, commits, reports } = await deliver({
        section,
        bridge,
        cpuPids: [bridge.pid],
        receiver,
        routes: [route],
        produce: {
          type: 'produceEach',
          count: options.orderedEvents,
          concurrency: options.orderedConcurrency,
          eventType,
          entities: options.entities,
        },
        events: options.orderedEvents,
      });
      const report = reports.get(route)!;
      const order = orderCheck(commits, report);
      if (ordering === 'per_entity' && order.inversions)
        fail(
          section,
          `${order.inversions} times a delivery arrived right after one committed later for the same lead (${order.entities_out_of_order} leads)`,
        );
      if (order.misplaced) fail(section, `${order.misplaced} deliveries arrived with another lead than the one they were committed for`);
      const sorted = delays(commits, report);
      return { ordering, ...result, ...order, p50_ms: round(percentile(sorted, 50)), p99_ms: round(percentile(sorted, 99)) };
    };
    const ordered = await run('per_entity', 'ordered', 'lead_qualified');
    const unordered = await run('none', 'unordered', 'lead_responded');
    return {
      entities: options.entities,
      in_flight: options.orderedConcurrency,
      created_via: perEntity.via,
      per_entity: ordered,
      none: unordered,
      per_entity_vs_none: round(ordered.events_per_s / unordered.events_per_s, 2),
    };
  } finally {
    await deleteSubscription(apiUrl, bridge, perEntity);
    await deleteSubscription(apiUrl, bridge, none);
  }
}
