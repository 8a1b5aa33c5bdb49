import type { Kysely, Transaction } from 'kysely';
import type { Schema } from '../schema.ts';

/** Run in the caller's transaction if given one, else in a new one. */
export function inTransaction<T>(db: Kysely<Schema>, run: (trx: Transaction<Schema>) => Promise<T>): Promise<T> {
  return db.isTransaction ? run(db as Transaction<Schema>) : db.transaction().execute(run);
}
