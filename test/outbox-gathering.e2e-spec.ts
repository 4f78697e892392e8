import { randomUUID } from 'node:crypto';
import { DeliveryRepository } from '../src/outbox/delivery.repository';
import { TriggerService } from '../src/triggers/trigger.service';
import { startTestApp, TestApp } from './support/test-app';

const lead = () => ({ entity: { type: 'lead', id: randomUUID() }, data: {} });

/**
 * Events recorded on one transaction in one turn of the event loop (the subscribers of a
 * multi-row INSERT) are written by one statement, and each still lives and dies with the
 * transaction, or the savepoint, it was recorded in.
 */
describe('outbox: records of one transaction gathered into one statement (real Postgres)', () => {
  let t: TestApp;
  let writes: number[];
  beforeAll(async () => {
    t = await startTestApp({ APP_ROLE: 'api', N8N_BASE_URL: 'http://127.0.0.1:9' });
    // Counts the statements that record events, without changing what they do.
    const repository = t.app.get(DeliveryRepository);
    const recordEvents = repository.recordEvents.bind(repository);
    repository.recordEvents = (events, manager) => {
      writes.push(events.length);
      return recordEvents(events, manager);
    };
  });
  beforeEach(() => (writes = []));
  afterAll(() => t.close());

  const statusOf = async (id: string) =>
    (await t.dataSource.query<{ status: string }[]>(`SELECT status FROM webhook_queue WHERE event_id = $1`, [id]))[0]?.status;

  it('writes five events emitted at once in a transaction with one statement, each caller getting its own envelope', async () => {
    const triggers = t.app.get(TriggerService);
    const envelopes = await t.dataSource.transaction((manager) =>
      Promise.all(Array.from({ length: 5 }, () => triggers.emit('lead_scraped', lead(), { manager }))),
    );
    expect(writes).toEqual([5]);
    expect(new Set(envelopes.map((e) => e?.id)).size).toBe(5);
    for (const envelope of envelopes) expect(await statusOf(envelope!.id)).toBeDefined();
  });

  it('keeps an event recorded before a savepoint when the savepoint rolls back, and drops the one recorded inside it', async () => {
    const triggers = t.app.get(TriggerService);
    let kept: string | undefined;
    let dropped: string | undefined;
    await t.dataSource.transaction(async (manager) => {
      const outer = triggers.emit('lead_scraped', lead(), { manager });
      await manager
        .transaction(async (inner) => {
          dropped = (await triggers.emit('lead_scraped', lead(), { manager: inner }))?.id;
          throw new Error('roll the savepoint back');
        })
        .catch(() => undefined);
      kept = (await outer)?.id;
    });
    expect(kept).toBeDefined();
    expect(dropped).toBeDefined();
    expect(await statusOf(kept!)).toBeDefined();
    expect(await statusOf(dropped!)).toBeUndefined();
    expect(writes).toHaveLength(2);
  });

  it('rolls every gathered event back with its transaction', async () => {
    const triggers = t.app.get(TriggerService);
    const ids: string[] = [];
    await t.dataSource
      .transaction(async (manager) => {
        const envelopes = await Promise.all([1, 2, 3].map(() => triggers.emit('lead_scraped', lead(), { manager })));
        ids.push(...envelopes.map((e) => e!.id));
        throw new Error('roll back');
      })
      .catch(() => undefined);
    expect(ids).toHaveLength(3);
    for (const id of ids) expect(await statusOf(id)).toBeUndefined();
  });
});
