// Builds one signed callback to the bridge per input item: { callback, payload, idempotency_key? }.
// The JSON text is built once here and signed; the HTTP Request node sends exactly that text
// (raw body), so the bytes the bridge verifies are the bytes that were signed.
//   X-Webhook-Timestamp     = unix seconds
//   X-Webhook-Signature-256 = "sha256=" + hex HMAC-SHA256(first secret of WEBHOOK_SECRET, `${timestamp}.${body}`)
//   X-Webhook-Id            = idempotency key: given, or derived from the callback and its content
// A key names one request: the bridge applies the first body sent with it and refuses (422
// idempotency_key_reused) the same key with another body. So every item needs its own key: the
// derived one differs whenever the content does; a given key shared by items with different
// content (e.g. `{{ $execution.id }}-<node>` for all the items of one node) is an error here,
// before anything is sent.
// The bridge refuses unknown fields (400), so each callback sends only its own fields; a payload
// with any other field is an error here, before anything is sent.
const crypto = require('crypto');

const FIELDS = {
  'demo-approval': ['demo_id', 'approved', 'reviewer', 'notes', 'execution_id'],
  'video-approval': ['video_id', 'approved', 'reviewer', 'notes', 'execution_id'],
  'workflow-completed': ['workflow_id', 'execution_id', 'status', 'lead_id', 'result', 'finished_at'],
  'workflow-status': ['workflow_id', 'execution_id', 'status', 'progress', 'step', 'lead_id'],
  'error-notification': ['workflow_id', 'execution_id', 'lead_id', 'node', 'error_message', 'severity'],
};

const secret = String($env.WEBHOOK_SECRET || '')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean)[0];
if (!secret) throw new Error('WEBHOOK_SECRET is not set in the n8n environment: callbacks cannot be signed');
const base = String($env.BRIDGE_BASE_URL || '')
  .trim()
  .replace(/\/+$/, '');
if (!/^https?:\/\/[^\s]+$/.test(base)) {
  throw new Error('BRIDGE_BASE_URL is not set in the n8n environment (e.g. http://127.0.0.1:3000)');
}

const callbacks = $input.all().map(({ json }) => {
  const callback = json.callback;
  const allowed = FIELDS[callback];
  if (!allowed) throw new Error(`Unknown callback "${callback}": expected one of ${Object.keys(FIELDS).join(', ')}`);
  const payload = json.payload && typeof json.payload === 'object' ? json.payload : {};
  const unknown = Object.keys(payload).filter((key) => !allowed.includes(key));
  if (unknown.length > 0) throw new Error(`Callback ${callback} does not take: ${unknown.join(', ')}`);

  // Fixed field order; absent and null optional fields are left out.
  const fields = {};
  for (const key of allowed) {
    if (payload[key] !== undefined && payload[key] !== null) fields[key] = payload[key];
  }
  const body = JSON.stringify(fields);
  const timestamp = String(Math.floor(Date.now() / 1000));
  const signature = `sha256=${crypto.createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex')}`;
  // Same callback, same content → same key, so a repeated send is applied once by the bridge.
  const id =
    typeof json.idempotency_key === 'string' && /^[\x21-\x2b\x2d-\x7e]{1,255}$/.test(json.idempotency_key)
      ? json.idempotency_key
      : `n8n-${callback}-${crypto.createHash('sha256').update(body, 'utf8').digest('hex').slice(0, 40)}`;

  return { json: { callback, url: `${base}/api/v1/webhooks/n8n/${callback}`, body, timestamp, signature, id } };
});

const bodyOfKey = new Map();
for (const { json } of callbacks) {
  const earlier = bodyOfKey.get(json.id);
  if (earlier !== undefined && earlier !== json.body) {
    throw new Error(
      `idempotency_key "${json.id}" is given to several items with different content: the bridge would apply only the first ` +
        'and refuse the others (422). Give each item its own key, e.g. {{ $execution.id }}-<node>-{{ $runIndex }}-{{ $itemIndex }}, or leave it out.',
    );
  }
  bodyOfKey.set(json.id, json.body);
}
return callbacks;
