import { test } from 'node:test';
import { openDatabase } from '../../store/index.ts';
import { createTestDatabase, testPostgresProblem, type TestDatabase } from '../../store/postgres-test-database.ts';
import { jobQueueContract } from './job-queue.contract.ts';

// The real PostgreSQL on this machine; a fresh database per run, dropped afterwards.
const problem = process.env['KILN_SKIP_POSTGRES'] === '1' ? undefined : await testPostgresProblem();
if (process.env['KILN_SKIP_POSTGRES'] === '1') {
  test('job queue contract: PostgreSQL', { skip: 'KILN_SKIP_POSTGRES=1' }, () => undefined);
} else if (problem !== undefined) {
  test('job queue contract: PostgreSQL is reachable', () => {
    throw problem;
  });
} else {
  jobQueueContract('PostgreSQL', async () => {
    let db: TestDatabase | undefined;
    return {
      open: async () => openDatabase({ url: (db = await createTestDatabase()).url }),
      dispose: async () => db?.drop(),
    };
  });
}
