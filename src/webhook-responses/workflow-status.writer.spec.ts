import { randomUUID } from 'node:crypto';
import { startTestApp, TestApp } from '../../test/support/test-app';
import { ConflictError, EntityNotFoundError } from '../common/errors/app-errors';
import { Lead } from '../domain/leads/lead.entity';
import { WorkflowExecution } from '../domain/workflow-executions/workflow-execution.entity';
import { WorkflowStatusDto } from './dto/workflow-callbacks.dto';
import { WorkflowStatusWriter } from './workflow-status.writer';

// Real Postgres: grouped upserts must answer and change exactly what one upsert per report would.
describe('WorkflowStatusWriter (grouped workflow-status upserts)', () => {
  let t: TestApp;
  let writer: WorkflowStatusWriter;

  beforeAll(async () => {
    t = await startTestApp();
    writer = t.app.get(WorkflowStatusWriter);
  });
  afterAll(async () => {
    await t?.close();
  });

  const report = (over: Partial<WorkflowStatusDto>): WorkflowStatusDto => Object.assign(new WorkflowStatusDto(), { workflow_id: 'wf-batch', execution_id: randomUUID(), status: 'running', ...over });
  const executions = () => t.dataSource.getRepository(WorkflowExecution);

  it('applies concurrent reports one by one in effect: each answered with its own row, repeats in arrival order', async () => {
    const lead = await t.dataSource.getRepository(Lead).save({ title: 'Batch bakery', url: `https://ads.example/${randomUUID()}`, email: 'b@bakery.example' });
    const ids: string[] = Array.from({ length: 30 }, () => randomUUID());
    // Two unrelated reports take both write slots, so that all of the following form the next group.
    const busy = [writer.write(report({})), writer.write(report({}))];
    const first = ids.map((execution_id, i) => writer.write(report({ execution_id, progress: i, step: `step-${i}`, lead_id: i === 0 ? lead.id : undefined })));
    const second = ids.slice(0, 10).map((execution_id) => writer.write(report({ execution_id, status: 'waiting', progress: 50 })));
    const answers = await Promise.all([...first, ...second]);
    await Promise.all(busy);

    answers.slice(0, 30).forEach((answer, i) => {
      expect(answer.status).toBe(200);
      expect(answer.body.execution).toMatchObject({ execution_id: ids[i], workflow_id: 'wf-batch', status: 'running', progress: i, last_step: `step-${i}` });
    });
    answers.slice(30).forEach((answer, i) => expect(answer.body.execution).toMatchObject({ execution_id: ids[i], status: 'waiting', progress: 50, last_step: `step-${i}` }));

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

  it('applies a key once: copies in the same group and in later groups get the stored answer and change nothing', async () => {
    const key = randomUUID();
    const dto = report({ progress: 10 });
    const others = Array.from({ length: 6 }, () => report({}));
    const first = await Promise.all([...others.map((o) => writer.write(o, randomUUID())), writer.write(dto, key), writer.write({ ...dto, progress: 99 }, key), writer.write(dto, key)]);
    const again = await Promise.all([writer.write(report({}), randomUUID()), writer.write({ ...dto, progress: 77 }, key), writer.write(report({}), randomUUID())]);

    const copies = [...first.slice(6), again[1]];
    const applied = copies.filter((c) => !c.replayed);
    expect(applied).toHaveLength(1);
    // The same answer (the stored one comes back from jsonb: dates as strings).
    const json = (value: unknown) => JSON.parse(JSON.stringify(value)) as unknown;
    for (const copy of copies) expect({ status: copy.status, body: json(copy.body) }).toEqual({ status: 200, body: json(applied[0].body) });
    const appliedProgress = (applied[0].body.execution as { progress: number }).progress;
    expect(await executions().findOneByOrFail({ executionId: dto.execution_id })).toMatchObject({ progress: appliedProgress });
    const stored = await t.dataSource.query(`SELECT count(*)::int AS n FROM webhook_callbacks WHERE idempotency_key = $1`, [key]);
    expect(stored[0].n).toBe(1);
  });

  it('refuses a key already used for another endpoint, without applying the report', async () => {
    const key = randomUUID();
    await t.dataSource.query(`INSERT INTO webhook_callbacks (idempotency_key, endpoint, status_code, response) VALUES ($1, 'demo-approval', 200, '{}')`, [key]);
    const dto = report({});
    const settled = await Promise.allSettled([writer.write(report({}), randomUUID()), writer.write(report({}), randomUUID()), writer.write(dto, key), writer.write(report({}), randomUUID())]);

    expect(settled[2]).toMatchObject({ status: 'rejected', reason: expect.any(ConflictError) });
    expect(settled.filter((s) => s.status === 'fulfilled')).toHaveLength(3);
    expect(await executions().countBy({ executionId: dto.execution_id })).toBe(0);
  });

  it('leaves a finished execution as it is and says so', async () => {
    const done = report({ status: 'success', progress: 100 });
    await writer.write(done);
    const late = await Promise.all([writer.write(report({})), writer.write({ ...done, status: 'running', progress: 10 }), writer.write(report({}))]);

    expect(late[1].body).toMatchObject({ execution: { execution_id: done.execution_id, status: 'success', progress: 100 }, ignored: 'execution already finished' });
    expect(await executions().findOneByOrFail({ executionId: done.execution_id })).toMatchObject({ status: 'success', progress: 100 });
  });
});
