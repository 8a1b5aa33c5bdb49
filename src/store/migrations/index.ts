import type { Migration } from 'kysely/migration';
import * as history from './0001-history.ts';

/**
 * Every migration, by name. Static (not read from a folder at run time) so the set is
 * fixed at build time and a bundled or installed kiln cannot miss a file. Names sort in
 * the order they run; add new ones at the end.
 */
export const MIGRATIONS: Readonly<Record<string, Migration>> = {
  '0001-history': history,
};
