import type { Kysely } from 'kysely';
import { Migrator, type MigrationResult } from 'kysely/migration';
import { KilnError } from '../../errors/index.ts';
import { MIGRATIONS } from '../migrations/index.ts';
import type { Schema } from '../schema.ts';

/** One migration's fate in a run, like Kysely's MigrationResult in kiln's words. */
export type MigrationOutcome = {
  readonly name: string;
  /** applied: ran now; failed: ran and threw (rolled back); not-run: skipped after a failure. */
  readonly status: 'applied' | 'failed' | 'not-run';
};

const STATUS = { Success: 'applied', Error: 'failed', NotExecuted: 'not-run' } as const;

/**
 * Bring the schema up to the newest migration. Already-applied migrations are not
 * listed, so a second run returns no outcomes.
 *
 * Safe to run from several processes against one PostgreSQL: Kysely's PostgresAdapter
 * holds a session advisory lock (pg_advisory_lock) around reading the applied list and
 * running the rest, all in one transaction, and it tolerates losing the race to create
 * its own bookkeeping tables. The loser waits, then finds nothing left to do.
 */
export async function migrateToLatest(db: Kysely<Schema>): Promise<readonly MigrationOutcome[]> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: () => Promise.resolve(MIGRATIONS) },
    migrationTableName: 'kiln_migrations',
    migrationLockTableName: 'kiln_migrations_lock',
  });
  const { error, results = [] } = await migrator.migrateToLatest();
  const outcomes = results.map(outcomeOf);
  if (error !== undefined) {
    const summary = outcomes.map((o) => `${o.name}: ${o.status}`).join(', ') || 'no migration started';
    throw new KilnError('MIGRATION_FAILED', `database migration failed (${summary}): ${messageOf(error)}`, {
      cause: error,
    });
  }
  return outcomes;
}

function outcomeOf(result: MigrationResult): MigrationOutcome {
  return { name: result.migrationName, status: STATUS[result.status] };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
