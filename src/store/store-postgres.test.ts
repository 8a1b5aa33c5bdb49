import { openDatabase, type KilnDatabase } from './index.ts';
import { createTestDatabase, postgresTests, type TestDatabase } from './postgres-test-database.ts';
import { storeContract } from './store.contract.ts';

// The real PostgreSQL on this machine; a fresh database per run, dropped afterwards.
await postgresTests('store contract: PostgreSQL', () => {
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
});
