import { randomUUID } from 'node:crypto';
import { Demo } from '../src/domain/demos/demo.entity';
import { OutreachEmailService } from '../src/domain/emails/outreach-email.service';
import { Lead } from '../src/domain/leads/lead.entity';
import { Video } from '../src/domain/videos/video.entity';
import { OutboxEvent } from '../src/outbox/outbox-event.entity';
import { RetryHistory } from '../src/audit/retry-history.entity';
import { WebhookLog } from '../src/audit/webhook-log.entity';
import { WebhookQueueService } from '../src/queue/webhook-queue.service';
import { TestReceiver, signatureVerifies } from './support/receiver';
import { startTestApp, TestApp, TEST_WEBHOOK_SECRET } from './support/test-app';
import { waitFor } from './support/wait';

const leadInput = (over: Partial<Lead> = {}) => ({
  title: 'Plumber in Lyon',
  url: `https://ads.example/${randomUUID()}`,
  city: 'Lyon',
  ...over,
});

describe('outgoing events', () => {
  const receiver = new TestReceiver();
  let t: TestApp;

  beforeAll(async () => {
    await receiver.start();
    t = await startTestApp({
      N8N_BASE_URL: receiver.url,
      WEBHOOK_RETRY_DELAYS_MS: '200,400,1500',
      WEBHOOK_TIMEOUT_MS: '1000',
      OUTBOX_RELAY_INTERVAL_MS: '200',
    });
  });
  afterAll(async () => {
    await (t as TestApp | undefined)?.close();
    await receiver.stop();
  });
  beforeEach(() => receiver.reset());

  const leads = () => t.dataSource.getRepository(Lead);
  const outboxRow = (id: string) => t.dataSource.getRepository(OutboxEvent).findOneByOrFail({ id });
  const outboxFor = (entityId: string) => t.dataSource.getRepository(OutboxEvent).findBy({ entityId });
  const history = (deliveryId: string) =>
    t.dataSource.getRepository(RetryHistory).find({ where: { deliveryId }, order: { attempt: 'ASC' } });

  it('a lead insert reaches the receiver once as a signed lead_scraped envelope, and is audited', async () => {
    const lead = await leads().save(leads().create(leadInput()));
    const [req] = await receiver.waitForCount((r) => r.body?.entity?.id === lead.id, 1);

    expect(req!.path).toBe('/webhook/lead-scraped');
    expect(signatureVerifies(req!, TEST_WEBHOOK_SECRET)).toBe(true);
    expect(req!.headers['x-webhook-event']).toBe('lead_scraped');
    expect(req!.headers['x-webhook-attempt']).toBe('1');
    expect(req!.headers['user-agent']).toMatch(/^n8n-webhook-bridge\//);
    expect(req!.body).toMatchObject({
      id: req!.headers['x-webhook-id'],
      event: 'lead_scraped',
      priority: 0,
      entity: { type: 'lead', id: lead.id },
      data: { lead: { id: lead.id, url: lead.url, city: 'Lyon', status: 'new' } },
    });

    const id = String(req!.headers['x-webhook-id']);
    await waitFor(async () => (await outboxRow(id)).status === 'sent', { what: 'row sent' });
    const row = await outboxRow(id);
    expect(row).toMatchObject({ attempts: 1, lastStatusCode: 200 });
    expect(row.sentAt).toBeInstanceOf(Date);
    expect(await history(id)).toMatchObject([{ attempt: 1, outcome: 'sent', statusCode: 200 }]);
    const [log] = await t.dataSource.getRepository(WebhookLog).findBy({ deliveryId: id });
    expect(log).toMatchObject({ direction: 'outgoing', eventType: 'lead_scraped', responseStatus: 200, outcome: 'sent', attempt: 1 });
    expect(log!.requestHeaders['X-Webhook-Signature-256']).toBe('[redacted]');
    expect(JSON.stringify(log)).not.toContain(TEST_WEBHOOK_SECRET);
  });

  it('raises lead_qualified on a status transition, and nothing when the status is saved unchanged', async () => {
    const lead = await leads().save(leads().create(leadInput()));
    lead.status = 'qualified';
    await leads().save(lead);
    const [req] = await receiver.waitForCount((r) => r.body?.entity?.id === lead.id && r.body.event === 'lead_qualified', 1);
    expect(req!.path).toBe('/webhook/lead-qualified');
    expect(req!.body.data).toMatchObject({ previous_status: 'new', lead: { status: 'qualified' } });

    const reloaded = await leads().findOneByOrFail({ id: lead.id });
    await leads().save(reloaded); // same status
    reloaded.city = 'Paris';
    await leads().save(reloaded); // another column only
    // The outbox row is written in the same transaction as the change: its absence is final.
    expect((await outboxFor(lead.id)).map((r) => r.eventType).sort()).toEqual(['lead_qualified', 'lead_scraped']);
  });

  it('a transaction that inserts a lead and rolls back emits nothing, ever', async () => {
    const url = `https://ads.example/rolled-back-${randomUUID()}`;
    await expect(
      t.dataSource.transaction(async (manager) => {
        await manager.save(manager.create(Lead, leadInput({ url })));
        throw new Error('business rule failed');
      }),
    ).rejects.toThrow('business rule failed');

    // A later event that is delivered proves the pipeline ran past the rolled-back one.
    const sentinel = await leads().save(leads().create(leadInput()));
    await receiver.waitForCount((r) => r.body?.entity?.id === sentinel.id, 1);
    expect(receiver.requests.filter((r) => r.body?.data?.lead?.url === url)).toHaveLength(0);
    const rows = await t.dataSource.query(`SELECT count(*)::int AS n FROM webhook_queue WHERE payload->'data'->'lead'->>'url' = $1`, [url]);
    expect(rows[0].n).toBe(0);
  });

  it('retries 500 twice then succeeds: three attempts with one delivery id, three history rows, sent', async () => {
    const seen = new Map<string, number>();
    receiver.respondWith((r) => {
      const n = (seen.get(String(r.headers['x-webhook-id'])) ?? 0) + 1;
      seen.set(String(r.headers['x-webhook-id']), n);
      return n <= 2 ? { status: 500, body: 'boom' } : { status: 200 };
    });
    const lead = await leads().save(leads().create(leadInput()));
    const hits = await receiver.waitForCount((r) => r.body?.entity?.id === lead.id, 3);
    const id = String(hits[0]!.headers['x-webhook-id']);
    expect(hits.map((r) => r.headers['x-webhook-id'])).toEqual([id, id, id]);
    expect(hits.map((r) => r.headers['x-webhook-attempt'])).toEqual(['1', '2', '3']);
    expect(hits.every((r) => signatureVerifies(r, TEST_WEBHOOK_SECRET))).toBe(true);
    await waitFor(async () => (await outboxRow(id)).status === 'sent', { what: 'row sent after retries' });
    const rows = await history(id);
    expect(rows.map((r) => [r.attempt, r.outcome, r.statusCode])).toEqual([
      [1, 'retrying', 500],
      [2, 'retrying', 500],
      [3, 'sent', 200],
    ]);
    expect(rows[0]!.scheduledDelayMs).toBeGreaterThanOrEqual(160);
    expect(rows[0]!.scheduledDelayMs).toBeLessThanOrEqual(240);
    expect((await outboxRow(id)).attempts).toBe(3);
  });

  it('a 400 is permanent: one attempt, failed, no retry', async () => {
    receiver.respondWith(() => ({ status: 400, body: '{"error":"bad"}' }));
    const lead = await leads().save(leads().create(leadInput()));
    const [req] = await receiver.waitForCount((r) => r.body?.entity?.id === lead.id, 1);
    const id = String(req!.headers['x-webhook-id']);
    await waitFor(async () => (await outboxRow(id)).status === 'failed', { what: 'row failed' });
    expect(await history(id)).toMatchObject([{ attempt: 1, outcome: 'failed', statusCode: 400 }]);
    expect((await outboxRow(id)).lastError).toContain('HTTP 400');
    // The failed row stays visible (dead letter) and the job is failed in BullMQ, not retried.
    // The row is committed before the worker hands the failure to BullMQ: wait for the job to settle.
    const job = await t.app.get(WebhookQueueService).queue.getJob(id);
    await waitFor(async () => (await job?.getState()) === 'failed', { what: 'job failed in BullMQ' });
    expect(await job?.getState()).toBe('failed');
    expect(receiver.requests.filter((r) => r.headers['x-webhook-id'] === id)).toHaveLength(1);
  });

  it('honours Retry-After on a 429', async () => {
    // Only this lead's first attempt is refused: a late delivery of an earlier test gets its 200.
    const input = leadInput();
    receiver.respondWith((r) =>
      r.body?.data?.lead?.url === input.url && r.headers['x-webhook-attempt'] === '1'
        ? { status: 429, headers: { 'retry-after': '1' } }
        : { status: 200 },
    );
    const lead = await leads().save(leads().create(input));
    const hits = await receiver.waitForCount((r) => r.body?.entity?.id === lead.id, 2);
    const gap = hits[1]!.receivedAt - hits[0]!.receivedAt;
    expect(gap).toBeGreaterThanOrEqual(950); // not the configured 200 ms ±20 %
    const rows = await history(String(hits[0]!.headers['x-webhook-id']));
    // The delay chosen was the receiver's, not the 1.5 s cap (the gap itself also holds scheduling time).
    expect(rows[0]).toMatchObject({ outcome: 'retrying', statusCode: 429, scheduledDelayMs: 1000 });
  });

  it('a receiver that never answers times out and is retried', async () => {
    const input = leadInput();
    receiver.respondWith((r) =>
      r.body?.data?.lead?.url === input.url && r.headers['x-webhook-attempt'] === '1' ? 'hang' : { status: 200 },
    );
    const lead = await leads().save(leads().create(input));
    const hits = await receiver.waitForCount((r) => r.body?.entity?.id === lead.id, 2);
    const id = String(hits[0]!.headers['x-webhook-id']);
    await waitFor(async () => (await outboxRow(id)).status === 'sent', { what: 'row sent after timeout' });
    const rows = await history(id);
    expect(rows[0]!.outcome).toBe('retrying');
    expect(rows[0]!.error).toMatch(/timeout/);
    expect(rows[0]!.durationMs).toBeGreaterThanOrEqual(950);
  });

  it('raises demo, video and lead transition events with their priority and the lead attached', async () => {
    const lead = await leads().save(leads().create(leadInput()));
    const demos = t.dataSource.getRepository(Demo);
    const videos = t.dataSource.getRepository(Video);
    const demo = await demos.save(demos.create({ leadId: lead.id, status: 'building' }));
    demo.status = 'failed';
    demo.error = 'build timed out';
    await demos.save(demo);
    const video = await videos.save(videos.create({ leadId: lead.id, demoId: demo.id, status: 'rendering' }));
    video.status = 'failed';
    video.error = 'render crashed';
    await videos.save(video);
    lead.status = 'responded';
    await leads().save(lead);

    const [demoFailed] = await receiver.waitForCount((r) => r.body?.event === 'demo_failed' && r.body.entity.id === demo.id, 1);
    expect(demoFailed!.path).toBe('/webhook/demo-failed');
    expect(demoFailed!.body).toMatchObject({
      priority: 2,
      data: { error: 'build timed out', demo: { id: demo.id, status: 'failed' }, lead: { id: lead.id } },
    });
    const [videoFailed] = await receiver.waitForCount((r) => r.body?.event === 'video_failed' && r.body.entity.id === video.id, 1);
    expect(videoFailed!.body).toMatchObject({
      priority: 2,
      data: { error: 'render crashed', video: { demo_id: demo.id }, lead: { id: lead.id } },
    });
    const [responded] = await receiver.waitForCount((r) => r.body?.event === 'lead_responded' && r.body.entity.id === lead.id, 1);
    expect(responded!.body).toMatchObject({ priority: 2, data: { previous_status: 'new', lead: { status: 'responded' } } });
    // Inserting with a non-final status raised nothing for the demo or the video.
    expect((await outboxFor(demo.id)).map((r) => r.eventType)).toEqual(['demo_failed']);
    expect((await outboxFor(video.id)).map((r) => r.eventType)).toEqual(['video_failed']);
  });

  it('the email service raises email_sent and email_failed on status changes, inside the caller transaction', async () => {
    const emails = t.app.get(OutreachEmailService);
    const lead = await leads().save(leads().create(leadInput({ email: 'owner@shop.example' })));
    const sent = await emails.create({ leadId: lead.id, toAddress: 'owner@shop.example', subject: 'Hi' });
    await emails.markSent(sent.id);
    await emails.markSent(sent.id); // already sent: nothing new
    const [hit] = await receiver.waitForCount((r) => r.body?.event === 'email_sent' && r.body.entity.id === sent.id, 1);
    expect(hit!.body).toMatchObject({
      priority: 0,
      data: { email: { id: sent.id, status: 'sent', to_address: 'owner@shop.example' }, lead: { id: lead.id } },
    });

    const failed = await emails.create({ leadId: lead.id, toAddress: 'owner@shop.example' });
    await expect(
      t.dataSource.transaction(async (manager) => {
        await emails.markFailed(failed.id, 'mailbox full', manager);
        throw new Error('caller gave up');
      }),
    ).rejects.toThrow('caller gave up');
    expect(await outboxFor(failed.id)).toHaveLength(0);
    await emails.markFailed(failed.id, 'mailbox unavailable');
    const [failure] = await receiver.waitForCount((r) => r.body?.event === 'email_failed' && r.body.entity.id === failed.id, 1);
    expect(failure!.body).toMatchObject({ priority: 2, data: { error: 'mailbox unavailable', email: { status: 'failed' } } });
    expect((await outboxFor(sent.id)).map((r) => r.eventType)).toEqual(['email_sent']);
  });

  it('an email created with a final status raises nothing; a later status change (update, as PATCH does) raises its event', async () => {
    const emails = t.app.get(OutreachEmailService);
    const lead = await leads().save(leads().create(leadInput({ email: 'owner@shop.example' })));
    const bornSent = await emails.create({ leadId: lead.id, toAddress: 'owner@shop.example', status: 'sent' });
    const bornFailed = await emails.create({ leadId: lead.id, toAddress: 'owner@shop.example', status: 'failed', error: 'bounced' });
    expect(await outboxFor(bornSent.id)).toHaveLength(0);
    expect(await outboxFor(bornFailed.id)).toHaveLength(0);
    await emails.update(bornFailed.id, { status: 'sent' });
    await emails.update(bornFailed.id, { subject: 'Still sent' }); // no status change: nothing new
    expect((await outboxFor(bornFailed.id)).map((r) => r.eventType)).toEqual(['email_sent']);
  });
});
