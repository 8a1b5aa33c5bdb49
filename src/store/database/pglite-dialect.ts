import type { PGliteInterface, Transaction as PgliteTransaction } from '@electric-sql/pglite';
import {
  CompiledQuery,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type DatabaseConnection,
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  type Kysely,
  type QueryCompiler,
  type QueryResult,
  type TransactionSettings,
} from 'kysely';

/**
 * A Kysely dialect over PGlite's query API. The published adapters either pin PGlite
 * below 0.5 or pull in a code generator and a CLI framework; this one is a page long.
 *
 * PGlite is one PostgreSQL backend, i.e. one session. Kysely assumes a pool where
 * each connection is its own session, so this driver hands out the single connection
 * to one borrower at a time: a transaction holds it until commit or rollback and other
 * queries wait. (Consequence: inside `db.transaction().execute(trx => …)`, use `trx`,
 * never `db` — a query through `db` would wait for the transaction forever.)
 * Streaming (`.stream()`) is not supported.
 */
export class PgliteDialect implements Dialect {
  readonly #pglite: PGliteInterface;

  constructor(pglite: PGliteInterface) {
    this.#pglite = pglite;
  }

  createAdapter(): DialectAdapter {
    return new PostgresAdapter();
  }

  createDriver(): Driver {
    return new PgliteDriver(this.#pglite);
  }

  createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    return new PostgresIntrospector(db);
  }

  createQueryCompiler(): QueryCompiler {
    return new PostgresQueryCompiler();
  }
}

class PgliteDriver implements Driver {
  readonly #connection: PgliteConnection;
  /** Resolves when the current borrower releases the connection. */
  #released: Promise<void> = Promise.resolve();
  #release: (() => void) | undefined;

  constructor(pglite: PGliteInterface) {
    this.#connection = new PgliteConnection(pglite);
  }

  async init(): Promise<void> {
    await this.#connection.pglite.waitReady;
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    // A queue of borrowers chained on promises: each waits for the one before it.
    const previous = this.#released;
    let release!: () => void;
    this.#released = new Promise<void>((resolve) => (release = resolve));
    await previous;
    this.#release = release;
    return this.#connection;
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    await (connection as PgliteConnection).begin(settings);
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as PgliteConnection).end(true);
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as PgliteConnection).end(false);
  }

  async savepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`savepoint ${quoteIdentifier(name)}`));
  }

  async rollbackToSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`rollback to savepoint ${quoteIdentifier(name)}`));
  }

  async releaseSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`release savepoint ${quoteIdentifier(name)}`));
  }

  async releaseConnection(): Promise<void> {
    const release = this.#release;
    this.#release = undefined;
    release?.();
  }

  async destroy(): Promise<void> {
    if (!this.#connection.pglite.closed) await this.#connection.pglite.close();
  }
}

/**
 * Transactions run inside PGlite's own transaction(), not as bare BEGIN/COMMIT, so that
 * anything else sharing the instance (pg-boss through its PGlite adapter) queues behind
 * them instead of running its statements inside them.
 */
class PgliteConnection implements DatabaseConnection {
  readonly pglite: PGliteInterface;
  #tx: PgliteTransaction | undefined;
  #finish: ((commit: boolean) => void) | undefined;
  #done: Promise<void> | undefined;

  constructor(pglite: PGliteInterface) {
    this.pglite = pglite;
  }

  async begin(settings: TransactionSettings): Promise<void> {
    let started!: (tx: PgliteTransaction) => void;
    const tx = new Promise<PgliteTransaction>((resolve) => (started = resolve));
    const done = this.pglite.transaction(async (t) => {
      started(t);
      const commit = await new Promise<boolean>((resolve) => (this.#finish = resolve));
      if (!commit) await t.rollback();
    });
    done.catch(() => undefined); // awaited in end(); this only silences the early-failure race below
    this.#done = done;
    // transaction() can fail before it calls back (closed instance): then `tx` never settles
    this.#tx = await Promise.race([tx, done.then(() => Promise.reject(new Error('PGlite transaction ended before it began')))]);
    const modes = [
      settings.isolationLevel === undefined ? '' : `isolation level ${settings.isolationLevel}`,
      settings.accessMode ?? '',
    ].filter((m) => m !== '');
    if (modes.length > 0) await this.#tx.query(`set transaction ${modes.join(' ')}`);
  }

  /** Commit (or roll back) and wait for PGlite to finish; a failed COMMIT rejects. */
  async end(commit: boolean): Promise<void> {
    const finish = this.#finish;
    const done = this.#done;
    this.#tx = undefined;
    this.#finish = undefined;
    this.#done = undefined;
    finish?.(commit);
    await done;
  }

  async executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    const target = this.#tx ?? this.pglite;
    const result = await target.query<R>(compiledQuery.sql, [...compiledQuery.parameters]);
    const command = result.command?.toUpperCase();
    const counts = command === 'INSERT' || command === 'UPDATE' || command === 'DELETE' || command === 'MERGE';
    return {
      rows: result.rows,
      ...(counts ? { numAffectedRows: BigInt(result.affectedRows ?? 0) } : {}),
    };
  }

  // eslint-disable-next-line require-yield
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('PgliteDialect: streaming queries are not supported; page with limit/offset');
  }
}

function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
