// The part every receiving workflow shares: Webhook node(s) → signature check → 401/503 and stop,
// or 200 "received" → workflow-status "running" → the verified event, ready to route.
import { codeSource } from './nodes.mjs';

export const webhookPath = (event) => event.replace(/_/g, '-');

/**
 * Nodes and connections from the webhooks of `events` to the node "Continue with event", whose
 * output is the verified item { verified, delivery_id, attempt, event, lead_id, envelope }.
 */
export function intake(n, events, { rowHeight = 128 } = {}) {
  const midY = Math.round(((events.length - 1) * rowHeight) / 2);
  const webhooks = events.map((event, i) => n.webhook(`Webhook ${webhookPath(event)}`, webhookPath(event), [0, i * rowHeight]));
  const list = [
    ...webhooks,
    n.code('Verify signature', codeSource('verify-signature.js'), [260, midY], 'HMAC over timestamp.rawBody, ±300 s'),
    n.ifTrue('Verified?', '={{ $json.verified }}', [480, midY]),
    n.respond('Respond refused', '={{ $json.status }}', '={{ { received: false, error: $json.reason } }}', [720, midY + 200]),
    n.stopAndError('Refuse unverified request', '={{ `Webhook refused: ${$json.reason}` }}', [940, midY + 200]),
    n.respond('Respond accepted', 200, '={{ { received: true, id: $json.delivery_id } }}', [720, midY - 100]),
    n.code('Report running', codeSource('report-running.js'), [940, midY - 100]),
    n.sendCallback('Send running status', [1160, midY - 100], { bestEffort: true }),
    n.code('Continue with event', "return $('Verify signature').all().map((item) => ({ json: item.json }));", [1380, midY - 100]),
  ];
  const pairs = [
    ...webhooks.map((w) => [w.name, 'Verify signature']),
    ['Verify signature', 'Verified?'],
    ['Verified?#0', 'Respond accepted'],
    ['Verified?#1', 'Respond refused'],
    ['Respond refused', 'Refuse unverified request'],
    ['Respond accepted', 'Report running'],
    ['Report running', 'Send running status'],
    ['Send running status', 'Continue with event'],
  ];
  return { list, pairs, midY: midY - 100 };
}

/** "Report completed" (workflow-completed "success") and its sender, fed by `from`. */
export function completion(n, from, [x, y]) {
  return {
    list: [n.code('Report completed', codeSource('report-completed.js'), [x, y]), n.sendCallback('Send completed', [x + 220, y])],
    pairs: [...from.map((name) => [name, 'Report completed']), ['Report completed', 'Send completed']],
  };
}
