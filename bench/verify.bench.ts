/**
 * Verifications per second for a 2 KB body, through WebhookVerifierService as the guard calls it.
 *   node -r ts-node/register/transpile-only bench/verify.bench.ts
 */
import { createHmac } from 'node:crypto';
import { loadConfig } from '../src/config/load-config';
import { WebhookVerifierService } from '../src/security/webhook-verifier.service';

const SECRET = 'bench-secret-0123456789abcdef0123456789abcdef';
const OLD_SECRET = 'bench-old-secret-0123456789abcdef0123456789';
const DURATION_MS = 2000;

function body2kb(): Buffer {
  const filler = 'lorem ipsum dolor sit amet '.repeat(80);
  return Buffer.from(JSON.stringify({ lead_id: 'L-1', status: 'qualified', notes: filler }).slice(0, 2048).padEnd(2048, ' '));
}

function run(label: string, verifier: WebhookVerifierService, body: Buffer, headers: Record<string, string>, expectOk: boolean): void {
  const now = Math.floor(Date.now() / 1000);
  for (let i = 0; i < 2000; i++) verifier.verify(body, headers, now); // warm-up
  let count = 0;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(DURATION_MS) * 1_000_000n;
  while (process.hrtime.bigint() < deadline) {
    for (let i = 0; i < 500; i++) {
      if (verifier.verify(body, headers, now).ok !== expectOk) throw new Error(`unexpected verification result (${label})`);
    }
    count += 500;
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const perSecond = Math.round(count / seconds);
  process.stdout.write(
    `${label.padEnd(44)} ${perSecond.toLocaleString('en-US').padStart(10)} verifications/s  (${(1e6 / perSecond).toFixed(2)} µs each)\n`,
  );
}

function main(): void {
  const body = body2kb();
  const ts = String(Math.floor(Date.now() / 1000));
  const sign = (secret: string) => ({
    'x-webhook-timestamp': ts,
    'x-webhook-signature-256': `sha256=${createHmac('sha256', secret).update(`${ts}.`).update(body).digest('hex')}`,
    'content-type': 'application/json',
  });
  const verifier = new WebhookVerifierService(
    loadConfig({ NODE_ENV: 'test', WEBHOOK_SECRET: `${SECRET},${OLD_SECRET}`, LOG_LEVEL: 'silent' }),
  );
  process.stdout.write(`Body: ${body.length} bytes, Node ${process.version}\n`);
  run('valid, current secret', verifier, body, sign(SECRET), true);
  run('valid, previous secret (two HMACs)', verifier, body, sign(OLD_SECRET), true);
  run('wrong secret (two HMACs, refused)', verifier, body, sign('not-configured-secret-0123456789abcdef'), false);

  const whsec = `whsec_${Buffer.from(SECRET.slice(0, 32)).toString('base64')}`;
  const standard = new WebhookVerifierService(
    loadConfig({ NODE_ENV: 'test', WEBHOOK_SIGNATURE_SCHEME: 'standard-webhooks', WEBHOOK_SECRET: whsec }),
  );
  const mac = createHmac('sha256', Buffer.from(whsec.slice(6), 'base64'))
    .update(`msg_1.${ts}.`)
    .update(body)
    .digest('base64');
  run(
    'standard-webhooks, valid',
    standard,
    body,
    { 'webhook-id': 'msg_1', 'webhook-timestamp': ts, 'webhook-signature': `v1,${mac}` },
    true,
  );
}

main();
