import { BeforeApplicationShutdown, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { MicroBatcher } from '../common/batching/micro-batcher';
import { isDatabaseUnavailable } from '../database/postgres-errors';
import { AppliedCallback, CallbackIdempotencyService } from './callback-idempotency.service';
import { CallbackResult, ok } from './callback-result';
import { WorkflowStatusDto } from './dto/workflow-callbacks.dto';
import { IdempotencyKey } from './idempotency-key';
import { ExecutionRow } from './workflow-execution.repository';
import { rowBody, WorkflowExecutionsService } from './workflow-executions.service';

const ENDPOINT = 'workflow-status';

interface Report {
  dto: WorkflowStatusDto;
  /** X-Webhook-Id, when sent, with the hash of the signed body: the idempotency key. */
  idem?: IdempotencyKey;
}

type Outcome = { result: AppliedCallback } | { error: unknown };

/**
 * `workflow-status` callbacks, grouped: the progress reports that arrive while a write is in
 * flight are upserted together by the next one — one statement and one commit for many
 * callbacks instead of one each. Every report is still applied exactly as on its own (the same
 * upsert, the same answer):
 * - with an idempotency key, the stored answers of the group are looked up first (repeats get
 *   theirs and change nothing, a key stored with another body is refused with 422); the others
 *   are applied and their answers stored in one transaction, so a key can only be stored by one
 *   transaction (a concurrent copy makes it fail, and then gets the answer or the 422 of the one
 *   that was stored);
 * - within a group, reports for the same execution, or with the same key, go into successive
 *   statements in arrival order (as before, concurrent callbacks in different groups — like
 *   concurrent requests on different connections — are not ordered);
 * - if a group fails for any reason but an unreachable database (an unknown lead, a key stored
 *   meanwhile by a concurrent copy, a deadlock), each of its reports is applied alone, by
 *   `CallbackIdempotencyService.apply`, so that each gets the answer it would have had alone.
 */
@Injectable()
export class WorkflowStatusWriter implements BeforeApplicationShutdown {
  private readonly batcher: MicroBatcher<Report, Outcome>;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly executions: WorkflowExecutionsService,
    private readonly idempotency: CallbackIdempotencyService,
  ) {
    this.batcher = new MicroBatcher((reports) => this.writeAll(reports), { maxBatch: 200, concurrency: 2 });
  }

  async write(dto: WorkflowStatusDto, idem?: IdempotencyKey): Promise<AppliedCallback> {
    const outcome = await this.batcher.submit({ dto, idem });
    if ('error' in outcome) throw outcome.error;
    return outcome.result;
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.batcher.drained();
  }

  private async writeAll(reports: Report[]): Promise<Outcome[]> {
    const [first] = reports;
    if (reports.length === 1 && first) return [await this.alone(first)];
    const outcomes = new Array<Outcome>(reports.length);
    const keyed = reports.flatMap((r, i) => (r.idem ? [{ i, idem: r.idem }] : []));
    const answers = keyed.length
      ? await this.idempotency.storedAnswers(
          ENDPOINT,
          keyed.map((k) => k.idem),
        )
      : [];
    const stored = new Map(keyed.map(({ i }, n) => [i, answers[n]]));
    const fresh: number[] = [];
    reports.forEach((_report, i) => {
      const answer = stored.get(i);
      if (answer === undefined) fresh.push(i);
      else outcomes[i] = answer instanceof Error ? { error: answer } : { result: answer };
    });
    for (const round of rounds(fresh, reports)) {
      const group = round.map((i) => reportAt(reports, i));
      const applied = group.some((r) => r.idem) ? await this.applyKeyed(group) : await this.applyUnkeyed(group);
      round.forEach((i, n) => {
        const outcome = applied[n];
        if (outcome === undefined) throw new RangeError(`No outcome for report ${n} of a group of ${round.length}`);
        outcomes[i] = outcome;
      });
    }
    return outcomes;
  }

  /**
   * Without keys: the upsert alone, in autocommit (one statement: it applies all or nothing).
   * A report whose execution had already finished changed nothing: it is answered as alone.
   */
  private async applyUnkeyed(group: Report[]): Promise<Outcome[]> {
    let rows: Map<string, ExecutionRow>;
    try {
      rows = await this.executions.upsertStatuses(
        this.dataSource.manager,
        group.map((r) => r.dto),
      );
    } catch (error) {
      return this.fallback(group, error);
    }
    const outcomes: Outcome[] = [];
    for (const report of group) {
      const row = rows.get(report.dto.execution_id);
      outcomes.push(row ? { result: { ...ok({ execution: rowBody(row) }), replayed: false } } : await this.alone(report));
    }
    return outcomes;
  }

  /** With keys: the upsert and the stored answers in one transaction, so a failure leaves nothing applied. */
  private async applyKeyed(group: Report[]): Promise<Outcome[]> {
    try {
      const results = await this.dataSource.transaction((m) => this.applyGroup(m, group));
      return results.map((result) => ({ result: { ...result, replayed: false } }));
    } catch (error) {
      return this.fallback(group, error);
    }
  }

  /** The group failed and applied nothing: each report alone, unless the database is unreachable. */
  private async fallback(group: Report[], error: unknown): Promise<Outcome[]> {
    const outcomes: Outcome[] = [];
    for (const report of group) outcomes.push(isDatabaseUnavailable(error) ? { error } : await this.alone(report));
    return outcomes;
  }

  /** One upsert for the group (each execution at most once), then the stored answers of the keyed ones. */
  private async applyGroup(manager: EntityManager, group: Report[]): Promise<CallbackResult[]> {
    const rows = await this.executions.upsertStatuses(
      manager,
      group.map((r) => r.dto),
    );
    const results: CallbackResult[] = [];
    const keyed: (IdempotencyKey & { result: CallbackResult })[] = [];
    for (const { dto, idem } of group) {
      const row = rows.get(dto.execution_id);
      // Not returned: the execution had already finished; answered with its state, as alone.
      const result = row ? ok({ execution: rowBody(row) }) : await this.executions.status(dto, manager);
      results.push(result);
      if (idem) keyed.push({ ...idem, result });
    }
    if (keyed.length) await this.idempotency.store(manager, ENDPOINT, keyed);
    return results;
  }

  /** The single-report path: the same result or error as without grouping. */
  private async alone({ dto, idem }: Report): Promise<Outcome> {
    try {
      const work = (manager: EntityManager) => this.executions.status(dto, manager);
      return { result: await this.idempotency.apply(ENDPOINT, idem, work, { standalone: () => work(this.dataSource.manager) }) };
    } catch (error) {
      return { error };
    }
  }
}

/**
 * The indexes `fresh` of `reports` split so that no execution and no key appears twice in one
 * group, in arrival order. (A later copy of a key then fails its group on the stored key, and is
 * answered alone: the stored answer for the same body, 422 for another.)
 */
function rounds(fresh: number[], reports: Report[]): number[][] {
  const out: number[][] = [];
  const seen = new Map<string, number>();
  for (const i of fresh) {
    const report = reportAt(reports, i);
    const key = report.idem?.key;
    const ids = [`e:${report.dto.execution_id}`, ...(key !== undefined ? [`k:${key}`] : [])];
    const round = Math.max(...ids.map((id) => seen.get(id) ?? 0));
    for (const id of ids) seen.set(id, round + 1);
    (out[round] ??= []).push(i);
  }
  return out;
}

/** `reports[i]` for an index taken from `reports` itself. */
function reportAt(reports: Report[], i: number): Report {
  const report = reports[i];
  if (report === undefined) throw new RangeError(`No report at index ${i} of ${reports.length}`);
  return report;
}
