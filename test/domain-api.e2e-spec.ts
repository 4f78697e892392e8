import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { OutreachEmailService } from '../src/domain/emails/outreach-email.service';
import { LeadService } from '../src/domain/leads/lead.service';
import { startTestApp, TEST_ADMIN_TOKEN, TestApp } from './support/test-app';

type Body = Record<string, unknown>;

let t: TestApp;
let urlCounter = 0;

const AUTH = { Authorization: `Bearer ${TEST_ADMIN_TOKEN}` };
const get = (path: string) => request(t.http).get(path).set(AUTH);
const post = (path: string, body: unknown) =>
  request(t.http)
    .post(path)
    .set(AUTH)
    .send(body as object);
const patch = (path: string, body: unknown) =>
  request(t.http)
    .patch(path)
    .set(AUTH)
    .send(body as object);

const uniqueUrl = () => `https://business-${Date.now().toString(36)}-${++urlCounter}.example.com/`;
const count = async (table: string) => Number((await t.dataSource.query(`SELECT count(*)::int AS n FROM ${table}`))[0].n);
const row = async (table: string, id: string): Promise<Body> => (await t.dataSource.query(`SELECT * FROM ${table} WHERE id = $1`, [id]))[0];
const fieldsOf = (body: Body) => ((body.details as { field: string }[] | undefined) ?? []).map((d) => d.field).sort();

async function createLead(extra: Body = {}): Promise<Body> {
  const res = await post('/api/v1/leads', { title: 'Bakery Müller', url: uniqueUrl(), ...extra }).expect(201);
  return res.body;
}
async function createDemo(leadId: string, extra: Body = {}): Promise<Body> {
  return (await post('/api/v1/demos', { lead_id: leadId, ...extra }).expect(201)).body;
}
async function createVideo(leadId: string, extra: Body = {}): Promise<Body> {
  return (await post('/api/v1/videos', { lead_id: leadId, ...extra }).expect(201)).body;
}

/** What the four resources have in common, so the shared rules are checked on each. */
interface Resource {
  name: string;
  path: string;
  table: string;
  validBody: () => Promise<Body>;
  /** A status change that touches no other column. */
  status: string;
}

const RESOURCES: Resource[] = [
  {
    name: 'leads',
    path: '/api/v1/leads',
    table: 'leads',
    validBody: () => Promise.resolve({ title: 'Café', url: uniqueUrl() }),
    status: 'contacted',
  },
  {
    name: 'demos',
    path: '/api/v1/demos',
    table: 'demos',
    validBody: async () => ({ lead_id: (await createLead()).id }),
    status: 'building',
  },
  {
    name: 'videos',
    path: '/api/v1/videos',
    table: 'videos',
    validBody: async () => ({ lead_id: (await createLead()).id }),
    status: 'rendering',
  },
  {
    name: 'emails',
    path: '/api/v1/emails',
    table: 'outreach_emails',
    validBody: async () => ({ lead_id: (await createLead()).id }),
    status: 'failed',
  },
];

beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => (t as TestApp | undefined)?.close());

describe.each(RESOURCES)('$name: rules shared by every resource', (r) => {
  it('create → read → update → list round trip, snake_case on the wire', async () => {
    const created = (await post(r.path, await r.validBody()).expect(201)).body;
    expect(created).toEqual(
      expect.objectContaining({ id: expect.any(String), metadata: {}, created_at: expect.any(String), updated_at: expect.any(String) }),
    );
    expect(Object.keys(created).every((k) => /^[a-z0-9_]+$/.test(k))).toBe(true);

    expect((await get(`${r.path}/${created.id}`).expect(200)).body).toEqual(created);

    const updated = (await patch(`${r.path}/${created.id}`, { status: r.status, metadata: { source: 'e2e', tags: ['a', 1] } }).expect(200))
      .body;
    expect(updated).toEqual({ ...created, status: r.status, metadata: { source: 'e2e', tags: ['a', 1] }, updated_at: expect.any(String) });
    expect(new Date(updated.updated_at).getTime()).toBeGreaterThanOrEqual(new Date(created.updated_at).getTime());
    expect(await row(r.table, created.id)).toMatchObject({ status: r.status, metadata: { source: 'e2e', tags: ['a', 1] } });

    const list = (await get(`${r.path}?status=${r.status}`).expect(200)).body;
    expect(list).toMatchObject({ limit: 50, offset: 0 });
    expect(list.items.map((i: Body) => i.id)).toContain(created.id);
    expect(list.items.every((i: Body) => i.status === r.status)).toBe(true);
    expect(list.total).toBe(
      Number((await t.dataSource.query(`SELECT count(*)::int AS n FROM ${r.table} WHERE status = $1`, [r.status]))[0].n),
    );
  });

  it('pages newest first with limit and offset', async () => {
    for (let i = 0; i < 3; i++) await post(r.path, await r.validBody()).expect(201);
    const total = await count(r.table);
    const first = (await get(`${r.path}?limit=2`).expect(200)).body;
    const second = (await get(`${r.path}?limit=2&offset=2`).expect(200)).body;
    expect(first).toMatchObject({ total, limit: 2, offset: 0 });
    expect(first.items).toHaveLength(2);
    expect(second.offset).toBe(2);
    const ids = [...first.items, ...second.items].map((i: Body) => i.id);
    expect(new Set(ids).size).toBe(ids.length);
    const times = [...first.items, ...second.items].map((i: Body) => new Date(i.created_at as string).getTime());
    expect([...times].sort((a, b) => b - a)).toEqual(times);
  });

  it('refuses bad list parameters with a 400 naming them', async () => {
    expect(fieldsOf((await get(`${r.path}?limit=501`).expect(400)).body)).toEqual(['limit']);
    expect(fieldsOf((await get(`${r.path}?limit=abc&offset=-1`).expect(400)).body)).toEqual(['limit', 'offset']);
    expect(fieldsOf((await get(`${r.path}?status=bogus`).expect(400)).body)).toEqual(['status']);
    expect(fieldsOf((await get(`${r.path}?colour=red`).expect(400)).body)).toEqual(['colour']);
  });

  it('refuses an unknown field, a wrong type and a bad enum value at once, and writes nothing', async () => {
    const before = await count(r.table);
    const res = await post(r.path, { ...(await r.validBody()), colour: 'red', metadata: 'not-an-object', status: 'exploded' }).expect(400);
    expect(res.body.error).toBe('validation_failed');
    expect(fieldsOf(res.body)).toEqual(['colour', 'metadata', 'status']);
    const messages = JSON.stringify(res.body.details);
    expect(messages).toContain('is not an allowed field');
    expect(messages).toContain('must be one of the following values');
    expect(await count(r.table)).toBe(before);
  });

  it('refuses a bad PATCH and leaves the row unchanged', async () => {
    const created = (await post(r.path, await r.validBody()).expect(201)).body;
    const res = await patch(`${r.path}/${created.id}`, { status: 'exploded', metadata: null, id: randomUUID() }).expect(400);
    expect(fieldsOf(res.body)).toEqual(['id', 'metadata', 'status']);
    expect((await get(`${r.path}/${created.id}`).expect(200)).body).toEqual(created);
  });

  it('answers 404 for an unknown id and 400 naming id for a malformed one', async () => {
    const unknown = randomUUID();
    const notFound = (await get(`${r.path}/${unknown}`).expect(404)).body;
    expect(notFound).toMatchObject({ statusCode: 404, error: 'not_found' });
    await patch(`${r.path}/${unknown}`, { status: r.status }).expect(404);
    for (const bad of ['not-a-uuid', '123', `${unknown}x`]) {
      expect(fieldsOf((await get(`${r.path}/${bad}`).expect(400)).body)).toEqual(['id']);
      expect(fieldsOf((await patch(`${r.path}/${bad}`, { status: r.status }).expect(400)).body)).toEqual(['id']);
    }
  });

  it('answers 401 without the admin token, with a wrong one, or another scheme, and writes nothing', async () => {
    const before = await count(r.table);
    const body = await r.validBody();
    const id = randomUUID();
    const calls = [
      () => request(t.http).get(r.path),
      () => request(t.http).get(`${r.path}/${id}`),
      () => request(t.http).post(r.path).send(body),
      () => request(t.http).patch(`${r.path}/${id}`).send({}),
      () => request(t.http).post(r.path).set('Authorization', 'Bearer wrong-token').send(body),
      () => request(t.http).get(r.path).set('Authorization', `Basic ${TEST_ADMIN_TOKEN}`),
      () => request(t.http).get(r.path).set('Authorization', TEST_ADMIN_TOKEN),
    ];
    for (const call of calls) {
      const res = await call().expect(401);
      expect(res.body).toMatchObject({ statusCode: 401, error: 'unauthorized' });
    }
    expect(await count(r.table)).toBe(before);
  });
});

describe('leads', () => {
  it('creates with every field and defaults the rest', async () => {
    const url = uniqueUrl();
    const full = {
      title: 'Salon',
      url,
      email: 'info@salon.example.com',
      phone: '+49 30 123',
      city: 'Berlin',
      category: 'beauty',
      source: 'maps',
      score: 87,
      status: 'qualified',
      metadata: { rating: 4.5 },
    };
    expect((await post('/api/v1/leads', full).expect(201)).body).toMatchObject(full);
    const minimal = await createLead();
    expect(minimal).toMatchObject({
      status: 'new',
      email: null,
      phone: null,
      city: null,
      category: null,
      source: null,
      score: null,
      metadata: {},
    });
    expect(await row('leads', minimal.id as string)).toMatchObject({ status: 'new', title: 'Bakery Müller' });
  });

  it('requires title and url, and names wrong types', async () => {
    const before = await count('leads');
    expect(fieldsOf((await post('/api/v1/leads', {}).expect(400)).body)).toEqual(['title', 'url']);
    const res = await post('/api/v1/leads', { title: 42, url: 'not a url', score: 'high', email: 'nope' }).expect(400);
    expect(fieldsOf(res.body)).toEqual(['email', 'score', 'title', 'url']);
    expect(fieldsOf((await post('/api/v1/leads', { title: 'x', url: uniqueUrl(), score: 101 }).expect(400)).body)).toEqual(['score']);
    expect(await count('leads')).toBe(before);
  });

  it('refuses a duplicate url with 409 on create and on update, changing nothing', async () => {
    const first = await createLead();
    const before = await count('leads');
    const res = await post('/api/v1/leads', { title: 'Copy', url: first.url }).expect(409);
    expect(res.body).toMatchObject({ statusCode: 409, error: 'conflict', details: { field: 'url', existing_id: first.id } });
    expect(await count('leads')).toBe(before);

    const second = await createLead();
    await patch(`/api/v1/leads/${second.id as string}`, { url: first.url }).expect(409);
    expect((await row('leads', second.id as string)).url).toBe(second.url);
    await patch(`/api/v1/leads/${first.id as string}`, { url: first.url, title: 'Same url is fine' }).expect(200);
  });

  it('lets exactly one of several concurrent creates with one url win; the others get 409, never 500', async () => {
    const url = uniqueUrl();
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => post('/api/v1/leads', { title: `Racer ${i}`, url })));
    expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409, 409]);
    for (const r of results.filter((r) => r.status === 409)) expect(r.body).toMatchObject({ error: 'conflict', details: { field: 'url' } });
    expect(await t.dataSource.query('SELECT id FROM leads WHERE url = $1', [url])).toHaveLength(1);
  });

  it('writes concurrent creates in shared transactions: duplicates among them get 409 alone, every other lead is created with its one event', async () => {
    const existing = await createLead();
    const twice = uniqueUrl();
    const bodies = [
      ...Array.from({ length: 24 }, (_, i) => ({ title: `Concurrent ${i}`, url: uniqueUrl() })),
      { title: 'Taken', url: existing.url },
      { title: 'Twin A', url: twice },
      { title: 'Twin B', url: twice },
    ];
    const results = await Promise.all(bodies.map((b) => post('/api/v1/leads', b)));
    const created = results.filter((r) => r.status === 201).map((r) => r.body as Body);
    const refused = results.filter((r) => r.status === 409);
    expect(created).toHaveLength(25);
    expect(refused).toHaveLength(2);
    expect(refused.map((r) => (r.body as { details: { existing_id?: string } }).details.existing_id)).toContain(existing.id);
    for (const body of bodies.slice(0, 24)) expect(created.find((c) => c.url === body.url)).toMatchObject(body);
    const ids = created.map((c) => c.id as string);
    // One lead_scraped per created lead, none for the refused ones.
    const events = await t.dataSource.query<{ entity_id: string }[]>(
      `SELECT entity_id FROM webhook_queue WHERE event_type = 'lead_scraped' AND entity_id = ANY($1::text[])`,
      [[...ids, existing.id]],
    );
    expect(events.map((e) => e.entity_id).sort()).toEqual([...ids, existing.id as string].sort());
    // Group commit: the leads were inserted by fewer transactions than requests (xmin: the inserting transaction).
    const [inserts] = await t.dataSource.query<{ n: number }[]>(
      `SELECT count(DISTINCT xmin::text)::int AS n FROM leads WHERE id = ANY($1::uuid[])`,
      [ids],
    );
    expect(inserts?.n).toBeLessThan(ids.length);
  });

  it('clears a nullable field with null but refuses null on a required one', async () => {
    const lead = await createLead({ city: 'Hamburg' });
    expect((await patch(`/api/v1/leads/${lead.id as string}`, { city: null }).expect(200)).body.city).toBeNull();
    expect(
      fieldsOf((await patch(`/api/v1/leads/${lead.id as string}`, { title: null, url: null, status: null }).expect(400)).body),
    ).toEqual(['status', 'title', 'url']);
    expect(await row('leads', lead.id as string)).toMatchObject({ title: lead.title, url: lead.url, status: 'new' });
  });

  it('joins a caller transaction: a rollback leaves no lead behind', async () => {
    const leads = t.app.get(LeadService);
    const url = uniqueUrl();
    await expect(
      t.dataSource.transaction(async (manager) => {
        await leads.create({ title: 'Rolled back', url }, manager);
        throw new Error('caller rolls back');
      }),
    ).rejects.toThrow('caller rolls back');
    expect(await t.dataSource.query('SELECT id FROM leads WHERE url = $1', [url])).toEqual([]);
  });
});

describe('demos', () => {
  it('creates for an existing lead with the defaults, and reviews with a date', async () => {
    const lead = await createLead();
    const demo = await createDemo(lead.id as string, { url: 'https://demo.example.com/salon' });
    expect(demo).toMatchObject({
      lead_id: lead.id,
      status: 'pending',
      approval_status: 'not_required',
      url: 'https://demo.example.com/salon',
      reviewed_at: null,
    });
    const reviewedAt = '2026-01-02T03:04:05.000Z';
    const reviewed = (
      await patch(`/api/v1/demos/${demo.id as string}`, {
        approval_status: 'approved',
        reviewed_by: 'ops',
        reviewed_at: reviewedAt,
        review_notes: 'ok',
      }).expect(200)
    ).body;
    expect(reviewed).toMatchObject({ approval_status: 'approved', reviewed_by: 'ops', reviewed_at: reviewedAt, review_notes: 'ok' });
    expect(new Date((await row('demos', demo.id as string)).reviewed_at as string).toISOString()).toBe(reviewedAt);
  });

  it('refuses an unknown, missing or malformed lead_id with a 400 naming it, writing nothing', async () => {
    const before = await count('demos');
    const unknown = (await post('/api/v1/demos', { lead_id: randomUUID() }).expect(400)).body;
    expect(unknown.details).toEqual([{ field: 'lead_id', errors: ['lead_id does not match any lead'] }]);
    expect(fieldsOf((await post('/api/v1/demos', {}).expect(400)).body)).toEqual(['lead_id']);
    expect(fieldsOf((await post('/api/v1/demos', { lead_id: 'lead-1' }).expect(400)).body)).toEqual(['lead_id']);
    expect(await count('demos')).toBe(before);
  });

  it('keeps a demo with its lead and checks dates', async () => {
    const demo = await createDemo((await createLead()).id as string);
    expect(fieldsOf((await patch(`/api/v1/demos/${demo.id as string}`, { lead_id: (await createLead()).id }).expect(400)).body)).toEqual([
      'lead_id',
    ]);
    expect(
      fieldsOf(
        (await patch(`/api/v1/demos/${demo.id as string}`, { reviewed_at: 'yesterday', approval_status: 'maybe' }).expect(400)).body,
      ),
    ).toEqual(['approval_status', 'reviewed_at']);
    for (const zoneless of ['2026-01-02T03:04:05', '2026-01-02', '2026-02-30T00:00:00Z'])
      expect(fieldsOf((await patch(`/api/v1/demos/${demo.id as string}`, { reviewed_at: zoneless }).expect(400)).body)).toEqual([
        'reviewed_at',
      ]);
    expect(
      (await patch(`/api/v1/demos/${demo.id as string}`, { reviewed_at: '2026-01-02T04:04:05+01:00' }).expect(200)).body.reviewed_at,
    ).toBe('2026-01-02T03:04:05.000Z');
    expect((await row('demos', demo.id as string)).lead_id).toBe(demo.lead_id);
  });

  it('filters the list by lead_id and approval_status', async () => {
    const lead = await createLead();
    const pending = await createDemo(lead.id as string, { approval_status: 'pending' });
    await createDemo(lead.id as string);
    await createDemo((await createLead()).id as string, { approval_status: 'pending' });
    const res = (await get(`/api/v1/demos?lead_id=${lead.id as string}&approval_status=pending`).expect(200)).body;
    expect(res.items.map((d: Body) => d.id)).toEqual([pending.id]);
    expect(res.total).toBe(1);
  });
});

describe('videos', () => {
  it('links a demo of the same lead, and unlinks it with null', async () => {
    const lead = await createLead();
    const demo = await createDemo(lead.id as string);
    const video = await createVideo(lead.id as string, { demo_id: demo.id });
    expect(video).toMatchObject({ lead_id: lead.id, demo_id: demo.id, status: 'queued', approval_status: 'not_required' });
    expect((await patch(`/api/v1/videos/${video.id as string}`, { demo_id: null }).expect(200)).body.demo_id).toBeNull();
    expect((await row('videos', video.id as string)).demo_id).toBeNull();
  });

  it('refuses an unknown demo_id or a demo of another lead with a 400 naming demo_id', async () => {
    const lead = await createLead();
    const otherDemo = await createDemo((await createLead()).id as string);
    const before = await count('videos');
    const unknown = (await post('/api/v1/videos', { lead_id: lead.id, demo_id: randomUUID() }).expect(400)).body;
    expect(unknown.details).toEqual([{ field: 'demo_id', errors: ['demo_id does not match any demo'] }]);
    const foreign = (await post('/api/v1/videos', { lead_id: lead.id, demo_id: otherDemo.id }).expect(400)).body;
    expect(foreign.details).toEqual([{ field: 'demo_id', errors: ['demo_id belongs to another lead than lead_id'] }]);
    expect(fieldsOf((await post('/api/v1/videos', { lead_id: randomUUID() }).expect(400)).body)).toEqual(['lead_id']);
    expect(await count('videos')).toBe(before);

    const video = await createVideo(lead.id as string);
    await patch(`/api/v1/videos/${video.id as string}`, { demo_id: otherDemo.id }).expect(400);
    expect((await row('videos', video.id as string)).demo_id).toBeNull();
  });
});

describe('emails', () => {
  it('creates queued, and stamps sent_at when PATCHed to sent', async () => {
    const lead = await createLead();
    const video = await createVideo(lead.id as string);
    const email = (
      await post('/api/v1/emails', {
        lead_id: lead.id,
        video_id: video.id,
        to_address: 'owner@salon.example.com',
        subject: 'Your video',
      }).expect(201)
    ).body;
    expect(email).toMatchObject({ lead_id: lead.id, video_id: video.id, status: 'queued', sent_at: null, error: null });
    const sent = (await patch(`/api/v1/emails/${email.id}`, { status: 'sent' }).expect(200)).body;
    expect(sent.status).toBe('sent');
    expect(Date.now() - new Date(sent.sent_at).getTime()).toBeLessThan(60_000);
    expect((await row('outreach_emails', email.id as string)).sent_at).not.toBeNull();
  });

  it('refuses a bad address, an unknown video and a foreign video, naming each field', async () => {
    const lead = await createLead();
    const foreignVideo = await createVideo((await createLead()).id as string);
    const before = await count('outreach_emails');
    expect(
      fieldsOf((await post('/api/v1/emails', { lead_id: lead.id, to_address: 'not-an-address', sent_at: 5 }).expect(400)).body),
    ).toEqual(['sent_at', 'to_address']);
    expect(fieldsOf((await post('/api/v1/emails', { lead_id: lead.id, video_id: randomUUID() }).expect(400)).body)).toEqual(['video_id']);
    expect(fieldsOf((await post('/api/v1/emails', { lead_id: lead.id, video_id: foreignVideo.id }).expect(400)).body)).toEqual([
      'video_id',
    ]);
    expect(await count('outreach_emails')).toBe(before);
  });

  describe('OutreachEmailService', () => {
    let emails: OutreachEmailService;
    beforeAll(() => {
      emails = t.app.get(OutreachEmailService);
    });
    const newEmail = async () => (await post('/api/v1/emails', { lead_id: (await createLead()).id }).expect(201)).body as { id: string };

    it('markSent sets status and sent_at, and keeps the first sent_at when repeated', async () => {
      const { id } = await newEmail();
      const sent = await emails.markSent(id);
      expect(sent).toMatchObject({ status: 'sent', error: null });
      expect(sent.sentAt).toBeInstanceOf(Date);
      const again = await emails.markSent(id);
      expect(again.sentAt?.getTime()).toBe(sent.sentAt?.getTime());
      expect(await row('outreach_emails', id)).toMatchObject({ status: 'sent' });
    });

    it('serialises concurrent transitions of one email (row lock): every call succeeds, one sent_at', async () => {
      const { id } = await newEmail();
      const results = await Promise.all(Array.from({ length: 5 }, () => emails.markSent(id)));
      const stamps = new Set(results.map((e) => e.sentAt?.getTime()));
      expect(stamps.size).toBe(1);
      expect(new Date((await row('outreach_emails', id)).sent_at as string).getTime()).toBe([...stamps][0]);
    });

    it('markFailed sets status and error', async () => {
      const { id } = await newEmail();
      await emails.markFailed(id, 'SMTP 550 mailbox unavailable');
      expect(await row('outreach_emails', id)).toMatchObject({ status: 'failed', error: 'SMTP 550 mailbox unavailable' });
    });

    it('joins the caller transaction: a rollback undoes markSent', async () => {
      const { id } = await newEmail();
      await expect(
        t.dataSource.transaction(async (manager) => {
          await emails.markSent(id, manager);
          expect((await manager.query('SELECT status FROM outreach_emails WHERE id = $1', [id]))[0].status).toBe('sent');
          throw new Error('caller rolls back');
        }),
      ).rejects.toThrow('caller rolls back');
      expect(await row('outreach_emails', id)).toMatchObject({ status: 'queued', sent_at: null });
    });

    it('throws EntityNotFoundError for an unknown id', async () => {
      await expect(emails.markFailed(randomUUID(), 'x')).rejects.toMatchObject({ status: 404, code: 'not_found' });
    });
  });
});

describe('OpenAPI document', () => {
  it('documents the four resources behind bearer auth, with their status vocabularies', async () => {
    const doc = (await request(t.http).get('/docs-json').expect(200)).body;
    for (const path of ['/api/v1/leads', '/api/v1/leads/{id}', '/api/v1/demos', '/api/v1/videos/{id}', '/api/v1/emails'])
      expect(doc.paths[path]).toBeDefined();
    expect(doc.paths['/api/v1/leads'].post.security).toEqual([{ bearer: [] }]);
    expect(doc.components.schemas.CreateLeadDto.required).toEqual(expect.arrayContaining(['title', 'url']));
    expect(doc.components.schemas.UpdateDemoDto.properties.status.enum).toEqual(['pending', 'building', 'completed', 'failed']);
    expect(doc.components.schemas.OutreachEmailResponse.properties).toHaveProperty('sent_at');
  });
});
