import type { EntityManager } from 'typeorm';

const texts = new Map<string, string>();

/**
 * A statement of a hot path, sent to Postgres as a named prepared statement: each pooled
 * connection parses it once and Postgres keeps its plan (a generic one once it is no worse than
 * the custom ones), so a call sends only the name and the parameters. Parsing and planning were
 * about a quarter of the Postgres backends' CPU per event before (see docs/performance.md).
 *
 * The text must be the same on every call (only constants built into it, every value a
 * parameter), and a name goes with one text: a second definition with another text throws.
 * Protocol-level prepared statements live as long as the connection, outside transactions.
 */
export class PreparedStatement {
  constructor(
    readonly name: string,
    readonly text: string,
  ) {
    const known = texts.get(name);
    if (known !== undefined && known !== text) throw new Error(`Prepared statement ${name} is defined twice with different texts`);
    texts.set(name, text);
  }

  /** Runs it through `manager` (the caller's transaction when it is a transaction's manager). */
  run<T = unknown>(manager: Pick<EntityManager, 'query'>, parameters: unknown[]): Promise<T> {
    // TypeORM's postgres driver hands its first argument to pg's `client.query` unchanged, and pg
    // takes a query config with a `name` there. A new object per call: pg copies what it reads.
    return manager.query<T>({ name: this.name, text: this.text } as unknown as string, parameters);
  }
}
