import { openDatabase } from '../../store/index.ts';
import { createTestDatabase, postgresTests, type TestDatabase } from '../../store/postgres-test-database.ts';
import { jobQueueContract } from './job-queue.contract.ts';

// The real PostgreSQL on this machine; a fresh database per run, dropped afterwards.
await postgresTests('job queue contract: PostgreSQL', () =>
  jobQueueContract('PostgreSQL', async () => {
    let db: TestDatabase | undefined;
    return {
      open: async () => openDatabase({ url: (db = await createTestDatabase()).url }),
      dispose: async () => db?.drop(),
    };
  }),
);
