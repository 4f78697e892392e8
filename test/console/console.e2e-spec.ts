import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { BrowserContext, Page, Response } from 'playwright-core';
import request from 'supertest';
import { EventType } from '../../src/events/event-catalog';
import { WebhookQueueService } from '../../src/queue/webhook-queue.service';
import { hashedKey } from '../../src/redis/hashed-key';
import { TriggerService } from '../../src/triggers/trigger.service';
import { postSigned } from '../support/callbacks';
import { Reply, TestReceiver } from '../support/receiver';
import { signedHeaders } from '../support/sign';
import { startTestApp, TEST_ADMIN_TOKEN, TEST_REDIS_URL, TestApp } from '../support/test-app';
import { waitFor } from '../support/wait';
import { launchBrowser, TestBrowser } from './browser';

const USER = 'operator';
const PASSWORD = 'console-password-0123456789';
const SHOTS = join(__dirname, '..', '..', 'docs', 'console');
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };

/**
 * The delivery console in a real browser (Debian's Chromium driven by playwright-core) against
 * the real app on real Postgres and Redis, with a loopback receiver standing in for n8n. Each
 * browser context has its own source address (X-Forwarded-For, trusted from loopback), so the
 * sign-in limiter test does not lock out the others. Screenshots of each page go to docs/console/.
 */
describe('delivery console (browser e2e: Chromium, real Postgres and Redis)', () => {
  const receiver = new TestReceiver();
  /** Scripted answers by lead title or entity id: the n-th request about it gets script(n). */
  const scripts = new Map<string, (n: number) => Reply>();
  /** What a request is scripted by: its lead's title (leads made through the API) or its entity id. */
  const keyOf = (body: { data?: { lead?: { title?: unknown } }; entity?: { id?: unknown } } | undefined) =>
    [body?.data?.lead?.title, body?.entity?.id].find((k): k is string => typeof k === 'string' && scripts.has(k));
  let t: TestApp;
  let base: string;
  let browser: TestBrowser;
  let context: BrowserContext;
  let page: Page;
  let redis: Redis;

  beforeAll(async () => {
    await receiver.start();
    receiver.respondWith((req) => {
      const key = keyOf(req.body);
      const script = key === undefined ? undefined : scripts.get(key);
      const n = receiver.requests.filter((r) => keyOf(r.body) === key).length;
      return script ? script(n) : { status: 200, body: JSON.stringify({ ok: true, executionId: `exec-${randomUUID()}` }) };
    });
    [t, browser] = await Promise.all([
      startTestApp({
        N8N_BASE_URL: receiver.url,
        ADMIN_USER: USER,
        ADMIN_PASSWORD: PASSWORD,
        TRUST_PROXY: 'loopback',
        WEBHOOK_RETRY_DELAYS_MS: '200,200,200',
        WEBHOOK_TIMEOUT_MS: '3000',
        OUTBOX_RELAY_INTERVAL_MS: '1000',
        API_DOCS_ENABLED: 'true',
      }),
      launchBrowser(),
    ]);
    await t.app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
    redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
    context = await browser.context({ viewport: DESKTOP, extraHTTPHeaders: { 'x-forwarded-for': '198.51.100.10' } });
    page = await context.newPage();
  });

  afterAll(async () => {
    await (browser as TestBrowser | undefined)?.close();
    (redis as Redis | undefined)?.disconnect();
    await (t as TestApp | undefined)?.close();
    await receiver.stop();
  });

  const shot = (p: Page, name: string) => p.screenshot({ path: join(SHOTS, name) });
  const row = async (id: string): Promise<{ status: string; attempts: number } | undefined> =>
    (await t.dataSource.query<{ status: string; attempts: number }[]>(`SELECT status, attempts FROM webhook_queue WHERE id = $1`, [id]))[0];
  const deliveriesOf = (entityId: string) =>
    t.dataSource.query<{ id: string; status: string; attempts: number }[]>(
      `SELECT id, status, attempts FROM webhook_queue WHERE entity_id = $1 ORDER BY created_at`,
      [entityId],
    );
  const createLead = async (title: string) =>
    (
      await request(t.http)
        .post('/api/v1/leads')
        .set('Authorization', `Bearer ${TEST_ADMIN_TOKEN}`)
        .send({ title, url: `https://example.com/${randomUUID()}` })
        .expect(201)
    ).body.id as string;
  const emit = async (type: EventType, entityId: string) =>
    (await t.app.get(TriggerService).emit(type, { entity: { type: 'test', id: entityId }, data: {} }))!.id;
  /** Submits the sign-in form and answers the POST's response. */
  const signIn = async (p: Page, user: string, password: string): Promise<Response> => {
    await p.getByLabel('User name').fill(user);
    await p.getByLabel('Password').fill(password);
    const [response] = await Promise.all([
      p.waitForResponse((r) => r.url().startsWith(`${base}/console/login`) && r.request().method() === 'POST'),
      p.getByRole('button', { name: 'Sign in' }).click(),
    ]);
    return response;
  };
  const sessionCookie = async () => (await context.cookies(`${base}/console`)).find((c) => c.name === 'bridge_console');

  it('sends a visitor without a session to the sign-in form, remembering the page asked for', async () => {
    const response = await page.goto(`${base}/console/deliveries`);
    expect(page.url()).toBe(`${base}/console/login?next=%2Fconsole%2Fdeliveries`);
    expect(response?.status()).toBe(200);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    // Labelled controls: the fields are found by their labels.
    expect(await page.getByLabel('User name').getAttribute('autocomplete')).toBe('username');
    expect(await page.getByLabel('Password').getAttribute('type')).toBe('password');
    await shot(page, 'sign-in.png');
  });

  it('refuses a wrong password with the form again (401) and no session', async () => {
    const response = await signIn(page, USER, 'not-the-password');
    expect(response.status()).toBe(401);
    await page.getByRole('alert').filter({ hasText: 'Wrong user name or password' }).waitFor();
    expect(await page.getByLabel('User name').inputValue()).toBe(USER);
    expect(await page.getByLabel('Password').inputValue()).toBe('');
    expect(await sessionCookie()).toBeUndefined();
  });

  it('signs in: an HttpOnly, SameSite=Strict session cookie whose session lives in Redis with a server-side expiry, then the page asked for', async () => {
    const response = await signIn(page, USER, PASSWORD);
    expect(response.status()).toBe(303);
    await page.waitForURL(`${base}/console/deliveries`);
    await page.getByRole('heading', { name: 'Deliveries' }).waitFor();
    const cookie = await sessionCookie();
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/console', secure: false });
    const ttl = await redis.pttl(hashedKey(`${t.config.redis.queuePrefix}:console:session:`, cookie!.value));
    expect(ttl).toBeGreaterThan(t.config.console.sessionTtlMs - 60_000);
    expect(ttl).toBeLessThanOrEqual(t.config.console.sessionTtlMs);
  });

  it('shows a lead created through the API in Deliveries within seconds, without reloading the page', async () => {
    await page.goto(`${base}/console/deliveries`);
    await page.evaluate('window.stillTheSamePage = true');
    const leadId = await createLead(`Live lead ${randomUUID()}`);
    const started = Date.now();
    const cell = page.locator(`tr[data-entity-id="${leadId}"]`);
    await cell.waitFor({ timeout: 10_000 });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(await cell.locator('a').textContent()).toBe('lead_scraped');
    expect(await page.evaluate('window.stillTheSamePage')).toBe(true);
    // The same row follows the delivery to `sent`, still without a reload.
    await cell.locator('.status-sent').waitFor({ timeout: 10_000 });
    await page.locator('#live-status').filter({ hasText: 'Updated' }).waitFor();
  });

  let journeyLead: string;
  let journeyDelivery: string;

  it("shows one delivery's journey: committed, queued, two failed attempts, the one that succeeded, and n8n's callback about the lead", async () => {
    const title = `Flaky lead ${randomUUID()}`;
    scripts.set(title, (n) =>
      n <= 2 ? { status: 503, body: '{"error":"n8n is restarting"}' } : { status: 200, body: '{"executionId":"exec-journey"}' },
    );
    journeyLead = await createLead(title);
    const [delivery] = await waitFor(async () => {
      const rows = await deliveriesOf(journeyLead);
      return rows[0]?.status === 'sent' ? rows : undefined;
    });
    journeyDelivery = delivery!.id;
    expect(delivery!.attempts).toBe(3);
    await postSigned(t.http, '/api/v1/webhooks/n8n/workflow-completed', {
      workflow_id: 'wf-console',
      execution_id: `exec-${randomUUID()}`,
      status: 'success',
      lead_id: journeyLead,
    }).expect(200);
    await waitFor(
      async () =>
        (await t.dataSource.query(`SELECT 1 FROM webhook_logs WHERE direction = 'incoming' AND request_body LIKE $1`, [`%${journeyLead}%`]))
          .length === 1,
    );

    await page.goto(`${base}/console/search?q=${journeyDelivery}`);
    await page.waitForURL(`${base}/console/deliveries/${journeyDelivery}`);
    const steps = page.locator('ol.timeline > li');
    expect(await steps.locator('h3').allInnerTexts()).toEqual([
      'Committed',
      'Queued',
      expect.stringMatching(/^Attempt 1: retrying\s+HTTP 503$/),
      expect.stringMatching(/^Attempt 2: retrying\s+HTTP 503$/),
      expect.stringMatching(/^Attempt 3: sent\s+HTTP 200$/),
      'Delivered',
      expect.stringMatching(/^Callback \/api\/v1\/webhooks\/n8n\/workflow-completed: accepted\s+HTTP 200$/),
    ]);
    // The failed attempts show the delay scheduled before the next one; the last one has none.
    expect(await page.locator('[data-attempt="1"] > p').first().innerText()).toMatch(/next attempt scheduled in \d+ ms/);
    expect(await page.locator('[data-attempt="3"] > p').first().innerText()).not.toMatch(/next attempt scheduled/);
    await shot(page, 'journey.png');
    // Request headers as stored: the signature redacted, never its value.
    const attempt1 = page.locator('[data-attempt="1"]');
    await attempt1.getByText('Request to').click();
    const signatureRow = attempt1.locator('table.headers tr', { hasText: 'x-webhook-signature-256' });
    expect(await signatureRow.locator('td').textContent()).toBe('[redacted]');
    const sentSignatures = receiver.requests
      .filter((r) => r.body?.data?.lead?.title === title)
      .map((r) => String(r.headers['x-webhook-signature-256']));
    expect(sentSignatures).toHaveLength(3);
    const html = await page.content();
    for (const signature of sentSignatures) expect(html).not.toContain(signature.slice(7));
    expect(await attempt1.locator('details', { hasText: 'Response body' }).textContent()).toContain('n8n is restarting');
  });

  it('retries a failed delivery from its page, with the keyboard, after a confirmation', async () => {
    const entity = `retry-${randomUUID()}`;
    let fixed = false;
    scripts.set(entity, () => (fixed ? { status: 200, body: '{}' } : { status: 422, body: '{"error":"rejected"}' }));
    const id = await emit('demo_failed', entity);
    await waitFor(async () => (await row(id))?.status === 'failed');
    await waitFor(async () => (await t.app.get(WebhookQueueService).jobState(id)) === 'failed');

    await page.goto(`${base}/console/deliveries/${id}`);
    expect(await page.locator('.actions summary').allTextContents()).toEqual(['Retry…', 'Replay…']);
    fixed = true;
    await page.locator('.actions summary', { hasText: 'Retry…' }).focus();
    await page.keyboard.press('Enter'); // opens the confirmation
    const confirm = page.getByRole('button', { name: 'Confirm retry' });
    await confirm.waitFor();
    await confirm.focus();
    await Promise.all([page.waitForURL(`${base}/console/deliveries/${id}?notice=retried`), page.keyboard.press('Enter')]);
    await page.getByRole('status').filter({ hasText: 'Retry queued' }).waitFor();
    await waitFor(async () => (await row(id))?.status === 'sent');
    expect((await row(id))?.attempts).toBe(2);
    await page.reload();
    expect(await page.locator('[data-attempt="2"] h3').innerText()).toMatch(/^Attempt 2: sent\s+HTTP 200$/);
  });

  it('refuses a forged POST: without the session’s CSRF token, and from another origin even with it', async () => {
    // A delivery that can be cancelled: queued while deliveries are paused.
    const queue = t.app.get(WebhookQueueService);
    await queue.pause();
    const id = await emit('lead_responded', `csrf-${randomUUID()}`);
    await waitFor(async () => (await row(id))?.status === 'queued');

    // The browser's cookies, a made-up token.
    const forged = await page.request.post(`${base}/console/deliveries/${id}/cancel`, { form: { _csrf: 'forged' }, maxRedirects: 0 });
    expect(forged.status()).toBe(403);
    expect(await forged.text()).toContain('This form was not sent by the console');
    expect((await row(id))?.status).toBe('queued');
    await queue.resume();

    // A page of another origin (same site, another port) posting the real token: refused by Sec-Fetch-Site / Origin.
    await page.goto(`${base}/console`);
    const token = await page.locator('form[action="/console/logout"] input[name="_csrf"]').inputValue();
    const attacker = await serveOnce(
      `<form method="post" action="${base}/console/queue/pause"><input name="_csrf" value="${token}"><button>go</button></form>`,
    );
    try {
      await page.goto(attacker.url);
      const [response] = await Promise.all([
        page.waitForResponse((r) => r.url() === `${base}/console/queue/pause`),
        page.getByRole('button', { name: 'go' }).click(),
      ]);
      expect(response.status()).toBe(403);
    } finally {
      await new Promise((resolve) => attacker.server.close(resolve));
    }
    expect(await queue.isPaused()).toBe(false);
    await waitFor(async () => (await row(id))?.status === 'sent');
  });

  it('lists callbacks accepted and refused, with the refusal reason and the source address', async () => {
    const body = JSON.stringify({ workflow_id: 'wf-console', execution_id: 'exec-forged', status: 'success' });
    await request(t.http)
      .post('/api/v1/webhooks/n8n/workflow-completed')
      .set('X-Forwarded-For', '192.0.2.44')
      .set(signedHeaders(body, 'not-the-secret-0123456789abcdef0123456789'))
      .send(body)
      .expect(401);
    await waitFor(async () => (await t.dataSource.query(`SELECT 1 FROM webhook_logs WHERE source_ip = '192.0.2.44'`)).length === 1);

    await page.goto(`${base}/console/callbacks`);
    const refused = page.locator('table.callbacks tr[data-id]', { hasText: '192.0.2.44' });
    expect(await refused.locator('td').nth(2).textContent()).toContain('rejected');
    expect(await refused.textContent()).toContain('signature_mismatch');
    const accepted = page.locator('table.callbacks tr[data-id]', { hasText: 'workflow-completed' }).filter({ hasText: 'accepted' });
    expect(await accepted.count()).toBeGreaterThanOrEqual(1);
    await shot(page, 'callbacks.png');

    await page.getByLabel('Outcome').selectOption('refused');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(`${base}/console/callbacks?outcome=refused`);
    expect(await page.locator('table.callbacks tr[data-id]').count()).toBe(1);
  });

  it('creates a subscription (its secret shown once), sends it a test, rotates its secret and disables it', async () => {
    await page.goto(`${base}/console/subscriptions`);
    await page.getByRole('link', { name: 'New subscription' }).click();
    await page.getByLabel('Name').fill('CRM mirror');
    await page.getByLabel('URL template').fill(`${receiver.url}/crm/{event}`);
    await page.getByLabel('All events').uncheck();
    await page.getByLabel('lead_scraped').check();
    await page.getByRole('button', { name: 'Create' }).click();
    await page.getByRole('heading', { name: 'Subscription CRM mirror created' }).waitFor();
    const secret = await page.getByRole('textbox', { name: 'Secret' }).inputValue();
    expect(secret.length).toBeGreaterThanOrEqual(32);

    await page.getByRole('link', { name: 'Back to the subscriptions' }).click();
    const card = page.locator('li.subscription', { hasText: 'CRM mirror' });
    expect(await card.textContent()).toContain('lead_scraped');
    expect(await page.content()).not.toContain(secret);

    await card.getByRole('button', { name: 'Send a test' }).click();
    await page.getByText('The receiver answered HTTP 200').waitFor();
    expect(receiver.requests.some((r) => r.path === '/crm/webhook-test')).toBe(true);

    await page.goto(`${base}/console/subscriptions`);
    await card.getByText('Rotate the secret…').click();
    await card.getByRole('button', { name: 'Confirm rotation' }).click();
    await page.getByRole('heading', { name: 'New secret for CRM mirror' }).waitFor();
    const rotated = await page.getByRole('textbox', { name: 'Secret' }).inputValue();
    expect(rotated).not.toBe(secret);
    expect(rotated.length).toBeGreaterThanOrEqual(32);

    await page.goto(`${base}/console/subscriptions`);
    await card.getByRole('button', { name: 'Disable' }).click();
    await page.getByRole('status').filter({ hasText: 'Subscription disabled' }).waitFor();
    expect(await card.locator('.status').first().textContent()).toBe('disabled');
    expect(await page.content()).not.toContain(rotated);
    await shot(page, 'subscriptions.png');
  });

  it('shows the last hour per minute as charts, the tables, and pauses and resumes deliveries', async () => {
    await page.goto(`${base}/console`);
    const charts = page.locator('figure.chart');
    expect(await charts.locator('figcaption').allTextContents()).toEqual([
      'Delivered per minute',
      'Failed and retrying per minute',
      'p95 attempt latency (ms)',
      'Backlog (deliveries not finished)',
    ]);
    expect(await charts.nth(0).locator('rect.bar-delivered').count()).toBeGreaterThan(0);
    expect(await charts.nth(1).locator('rect.bar-failed').count()).toBeGreaterThan(0);
    expect(await charts.nth(1).locator('rect.bar-retrying').count()).toBeGreaterThan(0);
    expect(await charts.nth(2).locator('polyline').getAttribute('points')).toMatch(/\d/);
    expect(await page.locator('section', { hasText: 'Per event' }).locator('tbody th').allTextContents()).toEqual(
      expect.arrayContaining(['lead_scraped', 'demo_failed']),
    );
    expect(await page.locator('section', { hasText: 'Per subscription' }).locator('tbody tr').count()).toBe(2);
    await shot(page, 'overview.png');
    await page.goto(`${base}/console/deliveries`);
    await shot(page, 'deliveries.png');
    await page.goto(`${base}/console`);

    await page.getByText('Pause deliveries…').click();
    await page.getByRole('button', { name: 'Confirm pause' }).click();
    await page.getByRole('status').filter({ hasText: 'Deliveries are paused' }).waitFor();
    expect(await t.app.get(WebhookQueueService).isPaused()).toBe(true);
    await page.getByRole('button', { name: 'Resume deliveries' }).click();
    await page.getByRole('status').filter({ hasText: 'Deliveries resumed' }).waitFor();
    expect(await t.app.get(WebhookQueueService).isPaused()).toBe(false);
  });

  it('is usable at phone width: no page-wide horizontal scrolling', async () => {
    const phone = await context.newPage();
    try {
      await phone.setViewportSize(PHONE);
      for (const path of ['/console', '/console/deliveries', `/console/deliveries/${journeyDelivery}`, '/console/subscriptions']) {
        await phone.goto(`${base}${path}`);
        expect(await phone.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(PHONE.width);
      }
      await phone.goto(`${base}/console/deliveries`);
      await shot(phone, 'deliveries-phone.png');
    } finally {
      await phone.close();
    }
  });

  it('serves the console under a strict CSP while Swagger UI and Bull Board keep working without one', async () => {
    const consolePage = await page.goto(`${base}/console`);
    const csp = consolePage?.headers()['content-security-policy'] ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);

    const docs = await context.newPage();
    try {
      const response = await docs.goto(`${base}/docs`);
      expect(response?.status()).toBe(200);
      expect(response?.headers()['content-security-policy']).toBeUndefined();
      await docs.locator('.swagger-ui .info .title').waitFor();
    } finally {
      await docs.close();
    }
    const admin = await browser.context({ viewport: DESKTOP, httpCredentials: { username: USER, password: PASSWORD } });
    try {
      const board = await admin.newPage();
      const response = await board.goto(`${base}/admin/queues`);
      expect(response?.status()).toBe(200);
      await board.getByText('webhook-deliveries').first().waitFor();
    } finally {
      await admin.close();
    }
  });

  it('signs out: the session is gone from Redis, and its cookie opens nothing any more', async () => {
    const token = (await sessionCookie())!.value;
    await page.goto(`${base}/console`);
    await page.getByRole('button', { name: /Sign out/ }).click();
    await page.waitForURL(`${base}/console/login?notice=signed-out`);
    await page.getByText('You are signed out.').waitFor();
    expect(await redis.exists(hashedKey(`${t.config.redis.queuePrefix}:console:session:`, token))).toBe(0);
    const replayed = await request(t.http).get('/console').set('Cookie', `bridge_console=${token}`).expect(303);
    expect(replayed.headers.location).toBe('/console/login');
    const json = await request(t.http).get('/console/api/deliveries').set('Cookie', `bridge_console=${token}`).expect(401);
    expect(json.body.error).toBe('sign_in_required');
  });

  it('refuses the 6th failed sign-in from one address within a minute, even with the right password', async () => {
    const guesser = await browser.context({ viewport: DESKTOP, extraHTTPHeaders: { 'x-forwarded-for': '203.0.113.66' } });
    try {
      const p = await guesser.newPage();
      await p.goto(`${base}/console/login`);
      for (let i = 1; i <= 5; i++) expect((await signIn(p, USER, `guess-${i}`)).status()).toBe(401);
      const sixth = await signIn(p, USER, PASSWORD);
      expect(sixth.status()).toBe(429);
      expect(Number(sixth.headers()['retry-after'])).toBeGreaterThan(0);
      await p.getByRole('alert').filter({ hasText: 'Too many failed sign-ins from this address' }).waitFor();
      expect((await guesser.cookies(`${base}/console`)).find((c) => c.name === 'bridge_console')).toBeUndefined();
    } finally {
      await guesser.close();
    }
    // Another address is not affected.
    await page.goto(`${base}/console/login`);
    expect((await signIn(page, USER, PASSWORD)).status()).toBe(303);
  });

  it('saw no Content-Security-Policy violation on any page (and would have: a probe is reported)', async () => {
    expect(browser.violations).toEqual([]);
    await page.goto(`${base}/console`);
    await page.evaluate(`document.body.insertAdjacentHTML('beforeend', '<p style="color: red">probe</p>')`);
    await waitFor(() => browser.violations.length > 0, { timeoutMs: 5000, what: 'the probe reported as a CSP violation' });
    expect(browser.violations.join('\n')).toMatch(/style-src/);
  });
});

/** A one-page HTTP server on another port: another origin, same site. */
async function serveOnce(html: string): Promise<{ server: Server; url: string }> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><html><body>${html}</body></html>`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` };
}
