/**
 * Subscriptions for the fan-out and ordered sections, created as an operator does: through the
 * admin API (`POST /api/v1/webhooks/subscriptions`, bearer ADMIN_TOKEN). Where that API answers
 * 404 (a build without it), they are stored inside the bridge process instead, through its own
 * SubscriptionRepository and SecretCipher (bench/bridge.ts `subscribe`).
 */
import { ChildProcess } from 'node:child_process';
import { request } from 'undici';
import type { Ordering } from '../src/subscriptions/subscription.entity';
import { ADMIN_TOKEN, log } from './context';
import { ask } from './support';

export interface BenchSubscription {
  id: string;
  name: string;
  secret: string;
  via: 'api' | 'ipc';
}

const headers = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' };

export async function createSubscription(
  apiUrl: string,
  bridge: ChildProcess,
  input: { name: string; url: string; eventTypes: string[]; ordering?: Ordering },
): Promise<BenchSubscription> {
  const ordering = input.ordering ?? 'none';
  const res = await request(`${apiUrl}/api/v1/webhooks/subscriptions`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ name: input.name, url: input.url, event_types: input.eventTypes, ordering }),
  });
  const text = await res.body.text();
  const body = ((): { id?: string; secret?: string } => {
    try {
      return JSON.parse(text) as { id?: string; secret?: string };
    } catch {
      return {};
    }
  })();
  if (res.statusCode === 201 && body.id && body.secret) return { id: body.id, name: input.name, secret: body.secret, via: 'api' };
  if (res.statusCode !== 404) throw new Error(`POST /api/v1/webhooks/subscriptions answered ${res.statusCode}: ${text.slice(0, 500)}`);
  log(`subscriptions API not found (404): storing "${input.name}" inside the bridge process`);
  const stored = await ask<{ id: string; secret: string }>(
    bridge,
    { type: 'subscribe', name: input.name, url: input.url, eventTypes: input.eventTypes, ordering },
    'subscribed',
  );
  return { id: stored.id, name: input.name, secret: stored.secret, via: 'ipc' };
}

export async function deleteSubscription(apiUrl: string, bridge: ChildProcess, subscription: BenchSubscription): Promise<void> {
  if (subscription.via === 'ipc') {
    await ask(bridge, { type: 'unsubscribe', id: subscription.id }, 'unsubscribed');
    return;
  }
  const res = await request(`${apiUrl}/api/v1/webhooks/subscriptions/${subscription.id}`, {
    method: 'DELETE',
    headers: { authorization: headers.authorization },
  });
  await res.body.dump();
  if (res.statusCode !== 200) throw new Error(`DELETE subscription ${subscription.name} answered ${res.statusCode}`);
}
