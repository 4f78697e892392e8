import { randomUUID } from 'node:crypto';
import { startTestApp, TestApp } from './support/test-app';
import { ConflictError, EntityNotFoundError, IdempotencyKeyReusedError } from '../src/common/errors/app-errors';
import { Lead } from '../src/domain/leads/lead.entity';
import { WorkflowExecution } from '../src/domain/workflow-executions/workflow-execution.entity';
import { WorkflowStatusDto } from '../src/webhook-responses/dto/workflow-callbacks.dto';
import { bodySha256, IdempotencyKey } from '../src/webhook-responses/idempotency-key';
import { WorkflowStatusWriter } from '../src/webhook-responses/workflow-status.writer';

// Real Postgres: grouped upserts must answer and change exactly what one upsert per report would.
describe('WorkflowStatusWriter (grouped workflow-status upserts)', () => {
  let t: TestApp;
  let writer: WorkflowStatusWriter;

  beforeAll(async () => {
    t = await startTestApp();
    writer = t.app.get(WorkflowStatusWriter);
  });
  afterAll(async () => {
    await (t as TestApp | undefined)?.close();
  });

  const report = (over: Partial<WorkflowStatusDto>): WorkflowStatusDto =>
    Object.assign(new WorkflowStatusDto(), { workflow_id: 'wf-batch', execution_id: randomUUID(), status: 'running', ...over });
  /** `dto` with `over` applied, as a new WorkflowStatusDto. */
  const copyOf = (dto: WorkflowStatusDto, over: Partial<WorkflowStatusDto>): WorkflowStatusDto =>
    Object.assign(new WorkflowStatusDto(), dto, over);
  const executions = () => t.dataSource.getRepository(WorkflowExecution);
  /** The idempotency key of a report sent with `key`, its body being the report's JSON. */
  const keyOf = (dto: WorkflowStatusDto, key: string = randomUUID()): IdempotencyKey => ({
    key,
    bodySha256: bodySha256(Buffer.from(JSON.stringify(dto))),
  });
  const write = (dto: WorkflowStatusDto, key?: string) => writer.write(dto, key === undefined ? undefined : keyOf(dto, key));

  it('applies concurrent reports one by one in effect: each answered with its own row, repeats in arrival order', async () => {
    const lead = await t.dataSource
      .getRepository(Lead)
      .save({ title: 'Batch bakery', url: `https://ads.example/${randomUUID()}`, email: 'b@bakery.example' });
    const ids: string[] = Array.from({ length: 30 }, () => randomUUID());
    // Two unrelated reports take both write slots, so that all of the following form the next group.
    const busy = [writer.write(report({})), writer.write(report({}))];
    const first = ids.map((execution_id, i) =>
      writer.write(report({ execution_id, progress: i, step: `step-${i}`, lead_id: i === 0 ? lead.id : undefined })),
    );
    const second = ids.slice(0, 10).map((execution_id) => writer.write(report({ execution_id, status: 'waiting', progress: 50 })));
    const answers = await Promise.all([...first, ...second]);
    await Promise.all(busy);

    answers.slice(0, 30).forEach((answer, i) => {
      expect(answer.status).toBe(200);
      expect(answer.body.execution).toMatchObject({
        execution_id: ids[i],
        workflow_id: 'wf-batch',
        status: 'running',
        progress: i,
        last_step: `step-${i}`,
      });
    });
    answers
      .slice(30)
      .forEach((answer, i) =>
        expect(answer.body.execution).toMatchObject({ execution_id: ids[i], status: 'waiting', progress: 50, last_step: `step-${i}` }),
      );

    const rows = await executions().findBy(ids.map((executionId) => ({ executionId })));
    expect(rows).toHaveLength(30);
    for (const row of rows) {
      const i = ids.indexOf(row.executionId);
      expect(row).toMatchObject({ status: i < 10 ? 'waiting' : 'running', progress: i < 10 ? 50 : i, lastStep: `step-${i}` });
    }
    expect(rows.find((r) => r.executionId === ids[0])?.leadId).toBe(lead.id);
  });

  it('gives an unknown lead its 404 without failing the reports grouped with it', async () => {
    const good = Array.from({ length: 8 }, () => report({}));
    const bad = report({ lead_id: randomUUID() });
    const settled = await Promise.allSettled([...good.slice(0, 4), bad, ...good.slice(4)].map((dto) => writer.write(dto)));

    expect(settled[4]).toMatchObject({ status: 'rejected', reason: expect.any(EntityNotFoundError) });
    expect(settled.filter((s) => s.status === 'fulfilled')).toHaveLength(8);
    expect(await executions().countBy(good.map((dto) => ({ executionId: dto.execution_id })))).toBe(8);
    expect(await executions().countBy({ executionId: bad.execution_id })).toBe(0);
  });

  it('applies a key once: same-body copies in the same group and in later groups get the stored answer, other bodies 422', async () => {
    const key = randomUUID();
    const dto = report({ progress: 10 });
    const others = Array.from({ length: 6 }, () => report({}));
    const first = await Promise.allSettled([
      ...others.map((o) => write(o, randomUUID())),
      write(dto, key),
      write(copyOf(dto, { progress: 99 }), key),
      write(dto, key),
    ]);
    const again = await Promise.allSettled([
      write(report({}), randomUUID()),
      write(copyOf(dto, { progress: 77 }), key),
      write(dto, key),
      write(report({}), randomUUID()),
    ]);

    const value = (s: PromiseSettledResult<Awaited<ReturnType<typeof write>>>) => (s.status === 'fulfilled' ? s.value : undefined);
    expect([...first.slice(0, 6), again[0], again[3]].every((s) => s.status === 'fulfilled' && !s.value.replayed)).toBe(true);
    const [applied, sameInGroup, sameLater] = [value(first[6]!), value(first[8]!), value(again[2])];
    expect(applied).toMatchObject({ status: 200, replayed: false, body: { execution: { execution_id: dto.execution_id, progress: 10 } } });
    // The same answer (the stored one comes back from jsonb: dates as strings).
    const json = (v: unknown) => JSON.parse(JSON.stringify(v)) as unknown;
    for (const copy of [sameInGroup, sameLater])
      expect({ status: copy?.status, replayed: copy?.replayed, body: json(copy?.body) }).toEqual({
        status: 200,
        replayed: true,
        body: json(applied!.body),
      });
    for (const other of [first[7], again[1]])
      expect(other).toMatchObject({ status: 'rejected', reason: expect.any(IdempotencyKeyReusedError) });
    expect(await executions().findOneByOrFail({ executionId: dto.execution_id })).toMatchObject({ progress: 10 });
    const stored = await t.dataSource.query(`SELECT count(*)::int AS n FROM webhook_callbacks WHERE idempotency_key = $1`, [key]);
    expect(stored[0].n).toBe(1);
  });

  it('two copies of a key with different bodies written at once, each in its own write slot: one applied, the other 422', async () => {
    for (let attempt = 0; attempt < 5; attempt++) {
      const key = randomUUID();
      const a = report({ progress: 20 });
      const b = copyOf(a, { progress: 80 });
      // Each copy alone in its own write slot (the writer runs two groups at once): both look the key up, both try to store it.
      const settled = await Promise.allSettled([write(a, key), write(b, key)]);
      const won = settled.findIndex((s) => s.status === 'fulfilled');
      expect(settled.filter((s) => s.status === 'fulfilled')).toHaveLength(1);
      expect(settled[1 - won]).toMatchObject({ status: 'rejected', reason: expect.any(IdempotencyKeyReusedError) });
      expect(await executions().findOneByOrFail({ executionId: a.execution_id })).toMatchObject({ progress: won === 0 ? 20 : 80 });
    }
  });

  it('takes a key stored before body hashes were kept (NULL) as the same body', async () => {
    const key = randomUUID();
    const dto = report({});
    await t.dataSource.query(
      `INSERT INTO webhook_callbacks (idempotency_key, endpoint, status_code, response) VALUES ($1, 'workflow-status', 200, '{"old":true}')`,
      [key],
    );
    expect(await write(dto, key)).toEqual({ status: 200, body: { old: true }, replayed: true });
    expect(await executions().countBy({ executionId: dto.execution_id })).toBe(0);
  });

  it('refuses a key already used for another endpoint, without applying the report', async () => {
    const key = randomUUID();
    await t.dataSource.query(
      `INSERT INTO webhook_callbacks (idempotency_key, endpoint, status_code, response) VALUES ($1, 'demo-approval', 200, '{}')`,
      [key],
    );
    const dto = report({});
    const settled = await Promise.allSettled([
      write(report({}), randomUUID()),
      write(report({}), randomUUID()),
      write(dto, key),
      write(report({}), randomUUID()),
    ]);

    expect(settled[2]).toMatchObject({ status: 'rejected', reason: expect.any(ConflictError) });
    expect(settled.filter((s) => s.status === 'fulfilled')).toHaveLength(3);
    expect(await executions().countBy({ executionId: dto.execution_id })).toBe(0);
  });

  it('leaves a finished execution as it is and says so', async () => {
    const done = report({ status: 'success', progress: 100 });
    await writer.write(done);
    const late = await Promise.all([
      writer.write(report({})),
      writer.write(copyOf(done, { status: 'running', progress: 10 })),
      writer.write(report({})),
    ]);

    expect(late[1].body).toMatchObject({
      execution: { execution_id: done.execution_id, status: 'success', progress: 100 },
      ignored: 'execution already finished',
    });
    expect(await executions().findOneByOrFail({ executionId: done.execution_id })).toMatchObject({ status: 'success', progress: 100 });
  });
});
