import type { SubscriptionResponse } from '../../operations/subscriptions/dto/subscription.response';
import { timeView } from '../render/format';

/** The subscriptions page's view model. */
export function subscriptionsView(items: SubscriptionResponse[], csrf: string) {
  return {
    csrf,
    rows: items.map((s) => {
      const base = `/console/subscriptions/${s.id}`;
      return {
        id: s.id,
        name: s.name,
        url: s.url,
        builtIn: s.built_in,
        events: s.event_types.includes('*') ? 'all events' : s.event_types.join(', '),
        state: s.enabled ? (s.failing_since ? 'failing' : 'enabled') : 'disabled',
        enabled: s.enabled,
        disabledReason: s.disabled_reason ?? undefined,
        failingSince: timeView(s.failing_since),
        ordering: s.ordering,
        headers: Object.keys(s.headers).join(', '),
        rotationUntil: timeView(s.secret_rotation?.previous_secret_expires_at),
        description: s.description ?? undefined,
        editUrl: base,
        deliveriesUrl: `/console/deliveries?subscription_id=${s.id}`,
        toggleUrl: `${base}/${s.enabled ? 'disable' : 'enable'}`,
        testUrl: `${base}/test`,
        rotateUrl: `${base}/rotate-secret`,
      };
    }),
  };
}
