import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import pg from 'pg';
import { KilnError } from '../errors/index.ts';

/** The machine's PostgreSQL (trust auth); override with KILN_TEST_POSTGRES_URL. */
export const TEST_POSTGRES_URL = process.env['KILN_TEST_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export type TestDatabase = {
  readonly url: string;
  /** Drops the database, disconnecting anything still attached. */
  drop(): Promise<void>;
};

/**
 * A new, empty database `kiln_test_<random>` on the test server. Fails (never skips)
 * with a message saying how to start PostgreSQL or opt out when the server is down.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `kiln_test_${randomBytes(6).toString('hex')}`;
  await admin(`create database ${name}`);
  const url = new URL(TEST_POSTGRES_URL);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => admin(`drop database if exists ${name} with (force)`) };
}

/** undefined when the test server answers, else the error that says how to fix it. */
export async function testPostgresProblem(): Promise<KilnError | undefined> {
  try {
    await admin('select 1');
    return undefined;
  } catch (error) {
    if (error instanceof KilnError) return error;
    throw error;
  }
}

async function admin(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
  } catch (error) {
    throw new KilnError(
      'DATABASE_FAILED',
      `PostgreSQL for the store tests is not reachable at ${TEST_POSTGRES_URL} (${String(error)}). ` +
        'Start it (e.g. `service postgresql start`), point KILN_TEST_POSTGRES_URL at another server, ' +
        'or set KILN_SKIP_POSTGRES=1 to skip these tests.',
      { cause: error },
    );
  }
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/**
 * Registers a file's PostgreSQL tests: skipped with KILN_SKIP_POSTGRES=1, one failing
 * test that says how to fix it when the server is down, else `register()`'s tests.
 */
export async function postgresTests(title: string, register: () => void): Promise<void> {
  if (process.env['KILN_SKIP_POSTGRES'] === '1') {
    test(title, { skip: 'KILN_SKIP_POSTGRES=1' }, () => undefined);
    return;
  }
  const problem = await testPostgresProblem();
  if (problem !== undefined) {
    test(`${title}: PostgreSQL is reachable`, () => {
      throw problem;
    });
    return;
  }
  register();
}
