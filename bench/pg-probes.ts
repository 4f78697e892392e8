/**
 * What a section cost Postgres: rows written in the bench database (pg_stat_database), WAL
 * written (the LSN moved, and the part of it that touched the bench database, read back through
 * pg_walinspect), the audit tables' size on disk, and the CPU of the database's backends.
 */
import { Client } from 'pg';
import { cpuMs, query, until } from './support';

export interface RowCounters {
  inserted: number;
  updated: number;
  deleted: number;
  commits: number;
}

const databaseOf = (url: string) => decodeURIComponent(new URL(url).pathname.slice(1));

async function counters(adminUrl: string, database: string): Promise<RowCounters> {
  const [row] = await query<RowCounters>(
    adminUrl,
    `SELECT tup_inserted::float8 AS inserted, tup_updated::float8 AS updated, tup_deleted::float8 AS deleted, xact_commit::float8 AS commits
       FROM pg_stat_database WHERE datname = $1`,
    [database],
  );
  if (!row) throw new Error(`no pg_stat_database row for ${database}`);
  return row;
}

/**
 * The database's row counters once they stopped moving. Backends hand their counts to the
 * statistics at most once a second while busy, and up to 10 s after they went idle: the counters
 * are read `settleMs` after the work ended, then until two reads a second apart agree.
 */
export async function settledCounters(adminUrl: string, databaseUrl: string, settleMs: number): Promise<RowCounters> {
  const database = databaseOf(databaseUrl);
  await new Promise((r) => setTimeout(r, settleMs));
  let last = await counters(adminUrl, database);
  await until(
    async () => {
      const now = await counters(adminUrl, database);
      const same = JSON.stringify(now) === JSON.stringify(last);
      last = now;
      return same;
    },
    30_000,
    1000,
  );
  return last;
}

/** Bytes on disk (heap, TOAST, indexes) of the audit tables, every partition included. */
export async function auditBytes(databaseUrl: string): Promise<number> {
  const [row] = await query<{ bytes: number }>(
    databaseUrl,
    `SELECT COALESCE(sum(pg_total_relation_size(t.relid)), 0)::float8 AS bytes
       FROM (SELECT relid FROM pg_partition_tree('webhook_logs') UNION ALL SELECT relid FROM pg_partition_tree('webhook_retry_history')) t`,
  );
  return row?.bytes ?? NaN;
}

/**
 * A window of WAL: holds a temporary physical replication slot from `open` to `close` so the
 * segments in between stay on disk, and reads how many bytes the LSN moved (every database of the
 * server) and how many of them are records of the bench database (records touching its
 * relations, and those of the same transactions, such as their commits; page headers left out).
 */
export class WalWindow {
  private start = '';
  private end = '';

  private constructor(private readonly session: Client) {}

  static async open(adminUrl: string): Promise<WalWindow> {
    const session = new Client({ connectionString: adminUrl });
    await session.connect();
    const window = new WalWindow(session);
    const slot = `bench_wal_${process.pid}_${Date.now().toString(36)}`;
    await session.query('SELECT pg_create_physical_replication_slot($1, true, true)', [slot]);
    window.start = await window.lsn();
    return window;
  }

  private async lsn(): Promise<string> {
    const { rows } = await this.session.query<{ lsn: string }>('SELECT pg_current_wal_flush_lsn()::text AS lsn');
    return rows[0]!.lsn;
  }

  /** Marks the end of the window; returns the bytes the LSN moved since `open`. */
  async stop(): Promise<number> {
    this.end = await this.lsn();
    const { rows } = await this.session.query<{ bytes: number }>('SELECT pg_wal_lsn_diff($1, $2)::float8 AS bytes', [this.end, this.start]);
    return rows[0]!.bytes;
  }

  /** Bytes of the window's WAL records that belong to the bench database (null when pg_walinspect is not installed). */
  async ofDatabase(databaseUrl: string): Promise<number | null> {
    try {
      await query(databaseUrl, 'CREATE EXTENSION IF NOT EXISTS pg_walinspect');
    } catch {
      return null;
    }
    const [row] = await query<{ bytes: number }>(
      databaseUrl,
      `WITH r AS (SELECT xid, record_length, block_ref FROM pg_get_wal_records_info($1::pg_lsn, $2::pg_lsn)),
            mine AS (SELECT DISTINCT xid FROM r WHERE block_ref LIKE '%/' || (SELECT oid FROM pg_database WHERE datname = current_database()) || '/%' AND xid <> '0')
       SELECT COALESCE(sum(record_length), 0)::float8 AS bytes FROM r
        WHERE block_ref LIKE '%/' || (SELECT oid FROM pg_database WHERE datname = current_database()) || '/%' OR xid IN (SELECT xid FROM mine)`,
      [this.start, this.end],
    );
    return row?.bytes ?? null;
  }

  async close(): Promise<void> {
    await this.session.end();
  }
}

/**
 * Counts the CPU of the bench database's backends (autovacuum workers included) from /proc,
 * sampled every 250 ms: a backend already there counts from its value at the start, one that
 * appears later from zero. The stop function gives the ms they used.
 */
export async function backendCpuMeter(adminUrl: string, databaseUrl: string): Promise<() => Promise<number>> {
  const database = databaseOf(databaseUrl);
  const session = new Client({ connectionString: adminUrl });
  await session.connect();
  const pids = async () =>
    (await session.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1', [database])).rows.map((r) => r.pid);
  const start = new Map<number, number>();
  const last = new Map<number, number>();
  for (const pid of await pids()) {
    const ms = cpuMs(pid);
    if (Number.isFinite(ms)) start.set(pid, ms);
  }
  const sample = async () => {
    for (const pid of await pids()) {
      const ms = cpuMs(pid);
      if (!Number.isFinite(ms)) continue;
      if (!start.has(pid)) start.set(pid, 0);
      last.set(pid, ms);
    }
  };
  let sampling = Promise.resolve();
  const timer = setInterval(() => void (sampling = sampling.then(sample).catch(() => undefined)), 250);
  return async () => {
    clearInterval(timer);
    await sampling;
    await sample();
    await session.end();
    let total = 0;
    for (const [pid, ms] of last) total += ms - (start.get(pid) ?? ms);
    return total;
  };
}
