import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/** Where the harness creates and drops its throwaway databases (any database the role can connect to). */
export const ADMIN_DATABASE_URL = process.env.TEST_ADMIN_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/** A fresh, empty database per suite: runs never collide, and a crashed run's leftovers are swept. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `bridge_test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  await admin(async (client) => {
    await sweepStale(client);
    await client.query(`CREATE DATABASE "${name}"`);
  });
  const url = new URL(ADMIN_DATABASE_URL);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: () => admin((client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).then(() => undefined)),
  };
}

async function admin<T>(fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: ADMIN_DATABASE_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Drops test databases older than two hours (left by killed runs). */
async function sweepStale(client: Client): Promise<void> {
  const { rows } = await client.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE 'bridge_test_%'`);
  const cutoff = Date.now() - 2 * 3600_000;
  for (const { datname } of rows) {
    const created = parseInt(datname.split('_')[2] ?? '', 36);
    if (Number.isFinite(created) && created < cutoff)
      await client.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`).catch(() => undefined);
  }
}
