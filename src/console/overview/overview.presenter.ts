import { DELIVERY_STATUSES } from '../../outbox/outbox-event.entity';
import { durationText, timeView } from '../render/format';
import { barChart, ChartView, lineChart } from './charts';
import type { OverviewData } from './overview.reader';

/** The overview page's view model (what views/overview.hbs shows). */
export function overviewView(data: OverviewData) {
  const { stats, attempts, backlog } = data;
  const series = (pick: (a: (typeof attempts)[number]) => number | null) =>
    attempts.map((a) => ({ minute: new Date(a.minute), value: pick(a) }));
  const charts: ChartView[] = [
    barChart('chart-delivered', 'Delivered per minute', 'delivered', [
      { cls: 'delivered', label: 'Delivered', points: series((a) => a.sent) },
    ]),
    barChart('chart-failed', 'Failed and retrying per minute', 'attempts', [
      { cls: 'failed', label: 'Failed', points: series((a) => a.failed) },
      { cls: 'retrying', label: 'Retrying', points: series((a) => a.retrying) },
    ]),
    lineChart('chart-latency', 'p95 attempt latency (ms)', 'ms', [
      { cls: 'latency', label: 'p95', points: series((a) => (a.p95_ms === null ? null : Math.round(a.p95_ms))) },
    ]),
    lineChart('chart-backlog', 'Backlog (deliveries not finished)', 'deliveries', [
      { cls: 'backlog', label: 'Backlog', points: backlog.map((b) => ({ minute: new Date(b.minute), value: b.backlog })) },
    ]),
  ];
  const minutes = attempts.map((a, i) => ({
    time: new Date(a.minute).toISOString().slice(11, 16),
    sent: a.sent,
    failed: a.failed,
    retrying: a.retrying,
    p95: a.p95_ms === null ? '—' : durationText(a.p95_ms),
    backlog: backlog[i]?.backlog ?? 0,
  }));
  const jobs = stats.queue.jobs ?? {};
  const seenAlerts = new Set<string>();
  return {
    generated: timeView(stats.generated_at),
    queue: {
      available: stats.queue.available,
      paused: stats.queue.paused === true,
      error: stats.queue.error,
      jobs: Object.entries(jobs).map(([state, n]) => ({ state, n })),
    },
    totals: DELIVERY_STATUSES.map((status) => ({ status, n: stats.events.by_status[status] ?? 0 })),
    oldestAge:
      stats.events.oldest_undelivered_age_seconds === null ? undefined : durationText(stats.events.oldest_undelivered_age_seconds * 1000),
    charts,
    minutes: minutes.slice().reverse(),
    events: Object.entries(stats.events.by_event)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([event, counts]) => ({
        event,
        href: `/console/deliveries?event=${encodeURIComponent(event)}`,
        counts: DELIVERY_STATUSES.map((status) => ({ status, n: counts[status] ?? 0 })),
      })),
    statuses: DELIVERY_STATUSES,
    subscriptions: data.subscriptions.map(({ subscription: s, sentLastHour, failedLastHour, inQueue }) => ({
      name: s.name,
      href: `/console/deliveries?subscription_id=${s.id}`,
      state: s.enabled ? (s.failing_since ? 'failing' : 'enabled') : 'disabled',
      failingSince: timeView(s.failing_since),
      sentLastHour,
      failedLastHour,
      inQueue,
    })),
    circuits: stats.circuits
      .filter((c) => c.state !== 'closed')
      .map((c) => ({
        target: c.target,
        state: c.state.replace('_', '-'),
        failures: c.consecutive_failures,
        openedAt: timeView(c.opened_at),
        retryAt: timeView(c.retry_at),
      })),
    ordering: stats.ordering,
    alerts: data.alerts
      .filter((a) => !seenAlerts.has(a.event_id) && seenAlerts.add(a.event_id))
      .map((a) => {
        const alert = (a.payload.data ?? {}) as { error_message?: unknown; alert?: { kind?: unknown } };
        return {
          href: `/console/deliveries/${a.id}`,
          at: timeView(a.created_at),
          kind: typeof alert.alert?.kind === 'string' ? alert.alert.kind.replace(/_/g, ' ') : 'alert',
          message: typeof alert.error_message === 'string' ? alert.error_message : '',
          status: a.status,
        };
      }),
  };
}

export type OverviewView = ReturnType<typeof overviewView>;
