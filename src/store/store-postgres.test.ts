import { test } from 'node:test';
import { openDatabase, type KilnDatabase } from './index.ts';
import { createTestDatabase, testPostgresProblem, type TestDatabase } from './postgres-test-database.ts';
import { storeContract } from './store.contract.ts';

// The real PostgreSQL on this machine; a fresh database per run, dropped afterwards.
// Unreachable → one failing test that says how to fix it, unless KILN_SKIP_POSTGRES=1.
const problem = process.env['KILN_SKIP_POSTGRES'] === '1' ? undefined : await testPostgresProblem();
if (process.env['KILN_SKIP_POSTGRES'] === '1') {
  test('store contract: PostgreSQL', { skip: 'KILN_SKIP_POSTGRES=1' }, () => undefined);
} else if (problem !== undefined) {
  test('store contract: PostgreSQL is reachable', () => {
    throw problem;
  });
} else {
  storeContract('PostgreSQL', async () => {
    const databases: TestDatabase[] = [];
    const fresh = async (): Promise<TestDatabase> => {
      const db = await createTestDatabase();
      databases.push(db);
      return db;
    };
    return {
      open: async () => openDatabase({ url: (await fresh()).url }),
      openEmptyPair: async () => {
        // two pools = two sessions racing for the same empty database
        const { url } = await fresh();
        const first: KilnDatabase = await openDatabase({ url, migrate: false });
        const second: KilnDatabase = await openDatabase({ url, migrate: false });
        return { first, second, dispose: async () => void (await Promise.all([first.close(), second.close()])) };
      },
      dispose: async () => {
        for (const db of databases) await db.drop();
      },
    };
  });
}
