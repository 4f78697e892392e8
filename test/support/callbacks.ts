import request from 'supertest';
import { signedHeaders, SignOptions } from './sign';
import { TEST_WEBHOOK_SECRET } from './test-app';

/** POSTs a JSON body to an n8n callback endpoint, signed independently of the server's code. */
export function postSigned(http: Parameters<typeof request>[0], path: string, body: unknown, opts: SignOptions & { secret?: string } = {}) {
  const raw = typeof body === 'string' ? body : JSON.stringify(body);
  return request(http)
    .post(path)
    .set(signedHeaders(raw, opts.secret ?? TEST_WEBHOOK_SECRET, opts))
    .send(raw);
}

export const CALLBACKS = '/api/v1/webhooks/n8n';
