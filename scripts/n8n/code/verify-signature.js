// Verifies a webhook sent by the bridge (docs/security.md). Runs right after a Webhook node with
// "Raw Body" on, so the exact request bytes are the binary property `data`.
//   X-Webhook-Signature-256 = "sha256=" + hex HMAC-SHA256(secret as UTF-8, `${X-Webhook-Timestamp}.${raw body}`)
//   X-Webhook-Timestamp     = unix seconds, accepted within ±WEBHOOK_SIGNATURE_TOLERANCE_SECONDS (300) of now
// WEBHOOK_SECRET may list several secrets separated by commas (rotation): any of them verifies.
// During a subscription's secret rotation the header carries two signatures, space-separated
// ("sha256=<new> sha256=<old>"): the request verifies when any signature matches any secret.
// Never throws: the outcome is one item, { verified: true, event, envelope, ... } or
// { verified: false, status, reason }, and the next node branches on it.
const crypto = require('crypto');

const headers = $input.first().json.headers || {};
const secrets = String($env.WEBHOOK_SECRET || '')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);
const tolerance = Number($env.WEBHOOK_SIGNATURE_TOLERANCE_SECONDS || 300);
const deliveryId = typeof headers['x-webhook-id'] === 'string' ? headers['x-webhook-id'].slice(0, 255) : null;

const refuse = (status, reason) => [{ json: { verified: false, status, reason, delivery_id: deliveryId } }];

// Misconfigured n8n: answer 503 so the bridge retries instead of dropping the event.
if (secrets.length === 0) return refuse(503, 'secret_not_configured');

const signature = headers['x-webhook-signature-256'];
if (typeof signature !== 'string' || signature === '') return refuse(401, 'signature_missing');
const entries = signature.split(' ').filter(Boolean);
const given = entries.map((entry) => /^sha256=([0-9a-fA-F]{64})$/.exec(entry));
if (given.length === 0 || given.length > 8 || given.some((m) => !m)) return refuse(401, 'signature_malformed');
const digests = given.map((m) => Buffer.from(m[1], 'hex'));

const timestamp = headers['x-webhook-timestamp'];
if (typeof timestamp !== 'string' || timestamp === '') return refuse(401, 'timestamp_missing');
const now = Math.floor(Date.now() / 1000);
if (!/^[0-9]{1,12}$/.test(timestamp) || Math.abs(now - Number(timestamp)) > tolerance) {
  return refuse(401, 'timestamp_out_of_tolerance');
}

let raw;
try {
  raw = await this.helpers.getBinaryDataBuffer(0, 'data');
} catch (error) {
  return refuse(401, 'raw_body_unavailable');
}

const matches = secrets.some((secret) => {
  const expected = crypto.createHmac('sha256', secret).update(`${timestamp}.`, 'utf8').update(raw).digest();
  return digests.some((digest) => crypto.timingSafeEqual(digest, expected));
});
if (!matches) return refuse(401, 'signature_mismatch');

// Route on what was signed (the body), never on the unsigned X-Webhook-Event header.
let envelope;
try {
  envelope = JSON.parse(raw.toString('utf8'));
} catch (error) {
  return refuse(400, 'body_not_json');
}
if (!envelope || typeof envelope !== 'object' || typeof envelope.event !== 'string' || typeof envelope.id !== 'string') {
  return refuse(400, 'not_an_event_envelope');
}

const data = envelope.data || {};
const entity = envelope.entity || {};
const leadId = entity.type === 'lead' ? entity.id : (data.lead && data.lead.id) || data.lead_id || null;

return [
  {
    json: {
      verified: true,
      delivery_id: deliveryId || envelope.id,
      attempt: Number(headers['x-webhook-attempt'] || 1),
      event: envelope.event,
      lead_id: leadId,
      envelope,
    },
  },
];
