import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { loadConfig } from '../config/load-config';
import { WebhookVerifierService } from './webhook-verifier.service';

const NEW_SECRET = 'new-secret-0123456789abcdef0123456789abcdef';
const OLD_SECRET = 'old-secret-0123456789abcdef0123456789abcdef';
const NOW = 1_750_000_000;

/** Signed independently of src/security: straight from the contract with node:crypto. */
function sign(
  body: string | Buffer,
  secret = NEW_SECRET,
  timestamp: number | string = NOW,
  extra: IncomingHttpHeaders = {},
): IncomingHttpHeaders {
  const mac = createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex');
  return { 'x-webhook-timestamp': String(timestamp), 'x-webhook-signature-256': `sha256=${mac}`, ...extra };
}

function verifierWith(env: Record<string, string> = {}): WebhookVerifierService {
  return new WebhookVerifierService(loadConfig({ NODE_ENV: 'test', WEBHOOK_SECRET: `${NEW_SECRET},${OLD_SECRET}`, ...env }));
}

describe('WebhookVerifierService (hmac-sha256)', () => {
  const sut = verifierWith();
  const body = Buffer.from('{"lead_id":"L-1","status":"qualified"}');
  const reasonOf = (headers: IncomingHttpHeaders, raw: Buffer = body, now = NOW) => {
    const result = sut.verify(raw, headers, now);
    return result.ok ? 'ok' : result.reason;
  };

  it('accepts a correctly signed request and reports the timestamp, the id and the secret used', () => {
    const result = sut.verify(body, sign(body, NEW_SECRET, NOW, { 'x-webhook-id': 'cb-1' }), NOW);
    expect(result).toEqual({ ok: true, id: 'cb-1', timestamp: NOW, secretIndex: 0, digest: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });

  it('accepts the previous secret during a rotation (secretIndex 1)', () => {
    expect(sut.verify(body, sign(body, OLD_SECRET), NOW)).toMatchObject({ ok: true, secretIndex: 1 });
  });

  it('refuses a request without any signature headers', () => {
    expect(reasonOf({})).toBe('signature_missing');
  });

  it('treats an empty signature header as missing', () => {
    expect(reasonOf({ ...sign(body), 'x-webhook-signature-256': '' })).toBe('signature_missing');
  });

  it.each([
    ['non-hex digits', `sha256=${'z'.repeat(64)}`],
    ['an odd-length digest', `sha256=${'a'.repeat(63)}`],
    ['a wrong-length digest', `sha256=${'a'.repeat(40)}`],
    ['no sha256= prefix', 'a'.repeat(64)],
  ])('refuses %s as signature_malformed', (_label, signature) => {
    expect(reasonOf({ ...sign(body), 'x-webhook-signature-256': signature })).toBe('signature_malformed');
  });

  it('accepts upper-case hex (hex digits are case-insensitive; the comparison is over the decoded bytes)', () => {
    const headers = sign(body);
    const upper = `sha256=${(headers['x-webhook-signature-256'] as string).slice(7).toUpperCase()}`;
    const result = sut.verify(body, { ...headers, 'x-webhook-signature-256': upper }, NOW);
    expect(result).toMatchObject({ ok: true, digest: (headers['x-webhook-signature-256'] as string).slice(7) });
  });

  it('refuses a signature made with a secret that is not configured', () => {
    expect(reasonOf(sign(body, 'another-secret-0123456789abcdef0123456789'))).toBe('signature_mismatch');
  });

  it('refuses a body changed by one byte', () => {
    const changed = Buffer.from(body);
    changed[5]! ^= 0x01;
    expect(reasonOf(sign(body), changed)).toBe('signature_mismatch');
  });

  it('refuses a request whose timestamp header was changed after signing', () => {
    expect(reasonOf({ ...sign(body), 'x-webhook-timestamp': String(NOW + 1) })).toBe('signature_mismatch');
  });

  it('accepts timestamps exactly 300 s old or ahead, refuses 301 s old or ahead', () => {
    expect(reasonOf(sign(body, NEW_SECRET, NOW - 300))).toBe('ok');
    expect(reasonOf(sign(body, NEW_SECRET, NOW + 300))).toBe('ok');
    expect(reasonOf(sign(body, NEW_SECRET, NOW - 301))).toBe('timestamp_out_of_tolerance');
    expect(reasonOf(sign(body, NEW_SECRET, NOW + 301))).toBe('timestamp_out_of_tolerance');
  });

  it('honours a configured tolerance', () => {
    const strict = verifierWith({ WEBHOOK_SIGNATURE_TOLERANCE_SECONDS: '10' });
    expect(strict.verify(body, sign(body, NEW_SECRET, NOW - 10), NOW).ok).toBe(true);
    expect(strict.verify(body, sign(body, NEW_SECRET, NOW - 11), NOW)).toEqual({ ok: false, reason: 'timestamp_out_of_tolerance' });
  });

  it('reports a missing or empty timestamp as timestamp_missing', () => {
    const { 'x-webhook-timestamp': _omitted, ...withoutTimestamp } = sign(body);
    expect(reasonOf(withoutTimestamp)).toBe('timestamp_missing');
    expect(reasonOf({ ...sign(body), 'x-webhook-timestamp': '' })).toBe('timestamp_missing');
  });

  it.each([
    ['non-numeric', 'yesterday'],
    ['negative', `-${NOW}`],
    ['huge', '9'.repeat(40)],
    ['in milliseconds', String(NOW * 1000)],
    ['fractional', `${NOW}.0`],
  ])('reports a %s timestamp as timestamp_out_of_tolerance, even when it is what was signed', (_label, timestamp) => {
    expect(reasonOf(sign(body, NEW_SECRET, timestamp))).toBe('timestamp_out_of_tolerance');
  });

  describe('duplicate headers', () => {
    const good = sign(body);
    it('refuses two signature values (array or comma-joined by Node) as signature_malformed', () => {
      const signature = good['x-webhook-signature-256'] as string;
      expect(reasonOf({ ...good, 'x-webhook-signature-256': [signature, signature] })).toBe('signature_malformed');
      expect(reasonOf({ ...good, 'x-webhook-signature-256': `${signature}, ${signature}` })).toBe('signature_malformed');
    });

    it('refuses the same header under two spellings as signature_malformed', () => {
      expect(reasonOf({ ...good, 'X-Webhook-Signature-256': good['x-webhook-signature-256'] })).toBe('signature_malformed');
    });

    it('refuses two timestamps as timestamp_out_of_tolerance', () => {
      expect(reasonOf({ ...good, 'x-webhook-timestamp': [String(NOW), String(NOW)] })).toBe('timestamp_out_of_tolerance');
      expect(reasonOf({ ...good, 'x-webhook-timestamp': `${NOW}, ${NOW}` })).toBe('timestamp_out_of_tolerance');
    });

    it('refuses two delivery ids as signature_malformed', () => {
      expect(reasonOf({ ...good, 'x-webhook-id': 'a, b' })).toBe('signature_malformed');
      expect(reasonOf({ ...good, 'x-webhook-id': ['a', 'b'] })).toBe('signature_malformed');
    });

    it('accepts a single value given as a one-element array', () => {
      expect(reasonOf({ ...good, 'x-webhook-signature-256': [good['x-webhook-signature-256'] as string] })).toBe('ok');
    });
  });

  it('reads header names case-insensitively', () => {
    const good = sign(body);
    expect(
      reasonOf({ 'X-Webhook-Timestamp': good['x-webhook-timestamp'], 'X-WEBHOOK-SIGNATURE-256': good['x-webhook-signature-256'] }),
    ).toBe('ok');
  });

  it('verifies bodies that are not JSON, empty, unicode or whitespace-laden exactly as sent', () => {
    for (const raw of ['not json at all', '', '  {\n\t"name" : "Zoë 🚀 — 東京",\r\n "n": 1.0 }  ', '\u0000\u00ff binary-ish']) {
      const bytes = Buffer.from(raw, 'utf8');
      expect(reasonOf(sign(bytes), bytes)).toBe('ok');
    }
    const notUtf8 = Buffer.from([0xff, 0xfe, 0x00, 0x80]);
    expect(reasonOf(sign(notUtf8), notUtf8)).toBe('ok');
  });

  it('refuses a body re-serialised after signing (whitespace or key order)', () => {
    const sent = Buffer.from('{ "b": 1, "a": 2 }');
    expect(reasonOf(sign(sent), Buffer.from(JSON.stringify(JSON.parse(sent.toString()))))).toBe('signature_mismatch');
  });

  it('never throws on inputs of the wrong type', () => {
    expect(sut.verify(undefined as unknown as Buffer, sign(body), NOW)).toEqual({ ok: false, reason: 'signature_mismatch' });
    expect(sut.verify(body, null as unknown as IncomingHttpHeaders, NOW)).toEqual({ ok: false, reason: 'signature_missing' });
    expect(sut.verify(body, { 'x-webhook-signature-256': 42 } as unknown as IncomingHttpHeaders, NOW)).toEqual({
      ok: false,
      reason: 'signature_malformed',
    });
  });

  describe('a request signed by `openssl dgst -sha256 -hmac`', () => {
    const payload = Buffer.from('{"execution_id":"981","result":{"score":0.93,"note":"überprüft ✓"}}', 'utf8');
    const timestamp = String(NOW);
    const opensslHex = execFileSync('openssl', ['dgst', '-sha256', '-hmac', NEW_SECRET], {
      input: Buffer.concat([Buffer.from(`${timestamp}.`), payload]),
    })
      .toString()
      .trim()
      .split(/\s+/)
      .pop() as string;
    const headers = { 'x-webhook-timestamp': timestamp, 'x-webhook-signature-256': `sha256=${opensslHex}` };

    it('is accepted', () => {
      expect(opensslHex).toMatch(/^[0-9a-f]{64}$/);
      expect(sut.verify(payload, headers, NOW)).toMatchObject({ ok: true, secretIndex: 0 });
    });

    it('is refused with signature_mismatch when any single byte of the body changes', () => {
      for (let i = 0; i < payload.length; i++) {
        const changed = Buffer.from(payload);
        changed[i]! ^= 0x20;
        expect(sut.verify(changed, headers, NOW)).toEqual({ ok: false, reason: 'signature_mismatch' });
      }
    });

    it('is refused when the timestamp changes: mismatch inside the window, out_of_tolerance outside', () => {
      expect(reasonOf({ ...headers, 'x-webhook-timestamp': String(NOW - 1) }, payload)).toBe('signature_mismatch');
      expect(reasonOf(headers, payload, NOW + 301)).toBe('timestamp_out_of_tolerance');
    });

    it('is refused with signature_mismatch when only another secret is configured', () => {
      const other = verifierWith({ WEBHOOK_SECRET: 'rotated-secret-0123456789abcdef0123456789' });
      expect(other.verify(payload, headers, NOW)).toEqual({ ok: false, reason: 'signature_mismatch' });
    });
  });
});
