import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { DeliveryStatus } from '../outbox/outbox-event.entity';
import { statusCondition } from '../outbox/delivery-transitions';

/** The audit tables partitioned by day of `created_at` (see migrations/1796320000000-PartitionedAudit.ts). */
export const PARTITIONED_AUDIT_TABLES = ['webhook_logs', 'webhook_retry_history'] as const;
export type PartitionedAuditTable = (typeof PARTITIONED_AUDIT_TABLES)[number];

/** One day partition: `<table>_pYYYYMMDD`, holding `created_at` in [from, to) (UTC). */
export interface DayPartition {
  table: PartitionedAuditTable;
  name: string;
  from: Date;
  to: Date;
}

/** Rows a dropped partition took with it, counted as the row-by-row cleanup counts them. */
export interface DroppedRows {
  history: number;
  logs: number;
  incomingLogs: number;
}

/** The deliveries cleanup deletes: finished in one of `statuses`, last changed before `cutoff`. */
export interface DoomedDeliveries {
  statuses: readonly DeliveryStatus[];
  cutoff: Date;
}

/**
 * A DDL statement waits at most this long for its lock (DETACH and DROP need the parent table
 * alone for a moment); past it, the statement fails and the work is done on the next run, rather
 * than queueing every audit write behind it.
 */
const DDL_LOCK_TIMEOUT = '5s';
/** Serialises partition changes between processes (every worker runs them). */
const PARTITION_LOCK_KEY = 'webhook-audit-partitions';

const DAY_MS = 86_400_000;
const NAME = /^(webhook_logs|webhook_retry_history)_p(\d{4})(\d{2})(\d{2})$/;

const HISTORY_COLUMNS = `id, delivery_id, attempt, outcome, status_code, error, duration_ms, scheduled_delay_ms, created_at`;
const LOG_COLUMNS = `id, direction, delivery_id, event_type, entity_type, entity_id, endpoint, method, attempt, request_headers,
  request_body, response_status, response_body, duration_ms, outcome, reason, source_ip, created_at`;

/**
 * The only code that creates, lists and drops the day partitions of the audit tables. Rows with
 * no day partition go to the table's DEFAULT partition (`<table>_default`): an insert never fails
 * for want of a partition.
 */
@Injectable()
export class AuditPartitionRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** The day partitions of `table`, oldest first (partitions named otherwise are not ours and left out). */
  async list(table: PartitionedAuditTable): Promise<DayPartition[]> {
    const rows = await this.dataSource.query<{ name: string }[]>(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = to_regclass($1) ORDER BY c.relname`,
      [table],
    );
    return rows.flatMap(({ name }) => {
      const day = dayOf(name);
      return day ? [{ table, name, from: day, to: new Date(day.getTime() + DAY_MS) }] : [];
    });
  }

  /**
   * Creates the partition of the UTC day starting at `day` unless it exists; rows of that day
   * already in the DEFAULT partition move into it. Answers whether it was created.
   */
  create(table: PartitionedAuditTable, day: Date): Promise<boolean> {
    const name = partitionName(table, day);
    const from = day.toISOString();
    const to = new Date(day.getTime() + DAY_MS).toISOString();
    return this.locked(async (manager) => {
      if (await exists(manager, name)) return false;
      const [stray] = await manager.query<{ found: boolean }[]>(
        `SELECT EXISTS (SELECT 1 FROM "${table}_default" WHERE created_at >= $1 AND created_at < $2) AS found`,
        [from, to],
      );
      if (!stray?.found) {
        await manager.query(`CREATE TABLE "${name}" PARTITION OF "${table}" FOR VALUES FROM ('${from}') TO ('${to}')`);
        return true;
      }
      // A DEFAULT partition may not hold rows of a partition being added: they move first.
      await manager.query(`CREATE TABLE "${name}" (LIKE "${table}" INCLUDING DEFAULTS)`);
      await manager.query(
        `WITH moved AS (DELETE FROM "${table}_default" WHERE created_at >= $1 AND created_at < $2 RETURNING *)
          INSERT INTO "${name}" SELECT * FROM moved`,
        [from, to],
      );
      await manager.query(`ALTER TABLE "${table}" ATTACH PARTITION "${name}" FOR VALUES FROM ('${from}') TO ('${to}')`);
      return true;
    });
  }

  /**
   * Drops a day partition of `webhook_retry_history`. The attempts of deliveries cleanup does not
   * delete (unfinished, failed and kept, changed since the cutoff) are first copied out and
   * written back, into the DEFAULT partition; answers how many rows went.
   */
  dropHistoryDay(partition: DayPartition, doomed: DoomedDeliveries): Promise<DroppedRows> {
    return this.dropDay(partition, async (manager) => {
      await manager.query(
        `INSERT INTO audit_kept (${HISTORY_COLUMNS}) SELECT ${prefixed('h', HISTORY_COLUMNS)} FROM "${partition.name}" h
          JOIN webhook_queue q ON q.id = h.delivery_id WHERE NOT (${isDoomed('q', doomed)})`,
        [doomed.cutoff],
      );
      const [row] = await manager.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM "${partition.name}"`);
      return { all: { history: row?.n ?? 0, logs: 0, incomingLogs: 0 }, columns: HISTORY_COLUMNS };
    });
  }

  /**
   * Drops a day partition of `webhook_logs`. Its outgoing rows whose delivery cleanup does not
   * delete (including rows whose delivery is gone: outgoing rows only ever go with their
   * delivery) are copied out first and written back, into the DEFAULT partition; incoming rows
   * all go. Answers how many rows went.
   */
  dropLogDay(partition: DayPartition, doomed: DoomedDeliveries): Promise<DroppedRows> {
    return this.dropDay(partition, async (manager) => {
      await manager.query(
        `INSERT INTO audit_kept (${LOG_COLUMNS}) SELECT ${prefixed('l', LOG_COLUMNS)} FROM "${partition.name}" l
          WHERE l.direction = 'outgoing'
            AND NOT EXISTS (SELECT 1 FROM webhook_queue q WHERE q.id::text = l.delivery_id AND ${isDoomed('q', doomed)})`,
        [doomed.cutoff],
      );
      const [row] = await manager.query<{ incoming: number; outgoing: number }[]>(
        `SELECT count(*) FILTER (WHERE direction = 'incoming')::int AS incoming, count(*) FILTER (WHERE direction <> 'incoming')::int AS outgoing
          FROM "${partition.name}"`,
      );
      return { all: { history: 0, logs: row?.outgoing ?? 0, incomingLogs: row?.incoming ?? 0 }, columns: LOG_COLUMNS };
    });
  }

  /**
   * In one transaction: `stage` copies the rows to keep into the temporary table `audit_kept` and
   * counts the partition's rows (reads only: the table stays writable meanwhile); then the
   * partition is detached, the kept rows are written back through the parent (to the DEFAULT
   * partition, the day having none now) and the partition is dropped. The parent is locked
   * exclusively only for those last three statements.
   */
  private async dropDay(
    partition: DayPartition,
    stage: (manager: EntityManager) => Promise<{ all: DroppedRows; columns: string }>,
  ): Promise<DroppedRows> {
    const { name, table } = partition;
    return this.locked(async (manager) => {
      if (!(await exists(manager, name))) return { history: 0, logs: 0, incomingLogs: 0 };
      await manager.query(`CREATE TEMPORARY TABLE audit_kept (LIKE "${name}") ON COMMIT DROP`);
      const { all, columns } = await stage(manager);
      const [row] = await manager.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM audit_kept`);
      const kept = row?.n ?? 0;
      await manager.query(`ALTER TABLE "${table}" DETACH PARTITION "${name}"`);
      if (kept > 0) await manager.query(`INSERT INTO "${table}" (${columns}) SELECT ${columns} FROM audit_kept`);
      await manager.query(`DROP TABLE "${name}"`);
      return table === 'webhook_retry_history' ? { ...all, history: all.history - kept } : { ...all, logs: all.logs - kept };
    });
  }

  /** `work` in a transaction holding the partition lock, with DDL_LOCK_TIMEOUT on every lock it waits for. */
  private locked<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(async (manager) => {
      await manager.query(`SET LOCAL lock_timeout = '${DDL_LOCK_TIMEOUT}'`);
      await manager.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [PARTITION_LOCK_KEY]);
      return work(manager);
    });
  }
}

async function exists(manager: EntityManager, table: string): Promise<boolean> {
  const [row] = await manager.query<{ found: boolean }[]>(`SELECT to_regclass($1) IS NOT NULL AS found`, [`"${table}"`]);
  return row?.found === true;
}

/** `<table>_pYYYYMMDD` of the UTC day starting at `day`. */
export function partitionName(table: PartitionedAuditTable, day: Date): string {
  return `${table}_p${day.toISOString().slice(0, 10).replaceAll('-', '')}`;
}

/** The UTC day a partition name stands for, or undefined when the name is not one of ours. */
function dayOf(name: string): Date | undefined {
  const match = NAME.exec(name);
  if (!match) return undefined;
  const day = new Date(`${match[2]}-${match[3]}-${match[4]}T00:00:00Z`);
  return Number.isNaN(day.getTime()) ? undefined : day;
}

function prefixed(alias: string, columns: string): string {
  return columns
    .split(',')
    .map((c) => `${alias}.${c.trim()}`)
    .join(', ');
}

/** The SQL condition "delivery `alias` is one cleanup deletes" (as DeliveryRepository.deleteFinished), the cutoff being $1. */
function isDoomed(alias: string, doomed: DoomedDeliveries): string {
  return `${statusCondition(`${alias}.status`, doomed.statuses)} AND ${alias}.updated_at < $1`;
}
