import { mkdir } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import type { PGliteInterface } from '@electric-sql/pglite';
import { Kysely, PostgresDialect, sql, type Dialect } from 'kysely';
import pg from 'pg';
import { KilnError } from '../../errors/index.ts';
import { takeDatabaseLock, type DatabaseLock } from './database-lock.ts';
import { migrateToLatest, type MigrationOutcome } from './migrate-to-latest.ts';
import { PgliteDialect } from './pglite-dialect.ts';
import type { Schema } from '../schema.ts';

/** Where the history lives, parsed from a URL or path. */
export type DatabaseLocation =
  | { readonly kind: 'pglite'; readonly dir: string }
  | { readonly kind: 'memory' }
  | { readonly kind: 'postgres'; readonly url: string };

export type OpenDatabaseOptions = {
  /** `postgres://…` / `postgresql://…`, `pglite:DIR`, `memory:` or a directory path. */
  readonly url: string;
  /** Run pending migrations before returning (default true). */
  readonly migrate?: boolean;
  /** Who opens it, named in the DATABASE_BUSY error another opener of a PGlite directory gets (default `kiln`). */
  readonly owner?: string;
};

export type KilnDatabase = {
  readonly db: Kysely<Schema>;
  readonly location: DatabaseLocation;
  /** What migrateToLatest did while opening; empty when the schema was current. */
  readonly migrations: readonly MigrationOutcome[];
  /** The PGlite instance underneath, for a job queue that must share it; absent on PostgreSQL. */
  readonly pglite: PGliteInterface | undefined;
  close(): Promise<void>;
};

/** The embedded default inside a state directory: `pglite:<state>/db`. */
export function defaultDatabaseUrl(stateDir: string): string {
  return `pglite:${join(stateDir, 'db')}`;
}

export function parseDatabaseUrl(url: string): DatabaseLocation {
  if (url === 'memory:') return { kind: 'memory' };
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) return { kind: 'postgres', url };
  if (url.startsWith('pglite:')) {
    const dir = url.slice('pglite:'.length);
    if (dir !== '') return { kind: 'pglite', dir: resolve(dir) };
  } else if (isAbsolute(url) || url.startsWith('./') || url.startsWith('../') || !/^[a-z][a-z0-9+.-]*:/i.test(url)) {
    if (url !== '') return { kind: 'pglite', dir: resolve(url) };
  }
  throw new KilnError(
    'CONFIG_INVALID',
    `database: expected postgres://…, pglite:DIR, memory: or a directory path, found ${JSON.stringify(url)}`,
  );
}

/**
 * Open the history database and migrate it to the newest schema. The caller owns the
 * result and must close() it (PGlite flushes its files on close; pg ends its pool).
 */
export async function openDatabase(options: OpenDatabaseOptions): Promise<KilnDatabase> {
  const location = parseDatabaseUrl(options.url);
  // one PGlite instance per directory, ever: the lock is taken before PGlite touches it
  const lock = location.kind === 'pglite' ? await takeDatabaseLock(location.dir, options.owner ?? 'kiln') : undefined;
  try {
    const { dialect, pglite } = await dialectFor(location);
    return await finishOpening(new Kysely<Schema>({ dialect }), location, pglite, options.migrate ?? true, lock);
  } catch (error) {
    await lock?.release();
    throw error;
  }
}

/**
 * The history database on a PGlite instance the caller started (say, one shared with the
 * job queue, since two PGlite instances must never open one directory). close() closes it.
 */
export async function openPgliteDatabase(
  pglite: PGliteInterface,
  options: { readonly migrate?: boolean } = {},
): Promise<KilnDatabase> {
  const dir = (pglite as { readonly dataDir?: string }).dataDir;
  const location: DatabaseLocation =
    dir === undefined || dir === '' || dir.startsWith('memory://') ? { kind: 'memory' } : { kind: 'pglite', dir };
  return finishOpening(new Kysely<Schema>({ dialect: new PgliteDialect(pglite) }), location, pglite, options.migrate ?? true);
}

async function finishOpening(
  db: Kysely<Schema>,
  location: DatabaseLocation,
  pglite: PGliteInterface | undefined,
  migrate: boolean,
  lock?: DatabaseLock,
): Promise<KilnDatabase> {
  let migrations: readonly MigrationOutcome[] = [];
  try {
    await checkConnection(db, location);
    if (migrate) migrations = await migrateToLatest(db);
  } catch (error) {
    await db.destroy().catch(() => undefined);
    throw error;
  }
  const close = async (): Promise<void> => {
    try {
      await db.destroy();
    } finally {
      await lock?.release();
    }
  };
  return { db, location, migrations, pglite, close };
}

/** Fail with where and why, rather than as a migration that could not read its table. */
async function checkConnection(db: Kysely<Schema>, location: DatabaseLocation): Promise<void> {
  try {
    await sql`select 1`.execute(db);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new KilnError('DATABASE_FAILED', `database ${describeLocation(location)}: cannot connect: ${message}`, {
      cause: error,
    });
  }
}

/** For messages: the location without any password. */
export function describeLocation(location: DatabaseLocation): string {
  switch (location.kind) {
    case 'memory':
      return 'memory:';
    case 'pglite':
      return `pglite:${location.dir}`;
    case 'postgres': {
      try {
        const url = new URL(location.url);
        if (url.password !== '') url.password = '***';
        return url.toString();
      } catch {
        return 'postgres://(unparsable URL)';
      }
    }
  }
}

async function dialectFor(location: DatabaseLocation): Promise<{ dialect: Dialect; pglite?: PGliteInterface }> {
  switch (location.kind) {
    case 'memory': {
      const pglite = await startPglite(undefined, 'in memory');
      return { dialect: new PgliteDialect(pglite), pglite };
    }
    case 'pglite': {
      try {
        await mkdir(location.dir, { recursive: true });
      } catch (error) {
        throw new KilnError('IO', `database directory ${location.dir}: cannot create it`, { cause: error });
      }
      const pglite = await startPglite(location.dir, location.dir);
      return { dialect: new PgliteDialect(pglite), pglite };
    }
    case 'postgres': {
      const pool = new pg.Pool({ connectionString: location.url, max: 10 });
      // An idle client whose server went away emits 'error' on the pool; unhandled, that
      // would crash the process. pg already drops the client; the next query reconnects.
      pool.on('error', () => undefined);
      return { dialect: new PostgresDialect({ pool }) };
    }
    default: {
      const never: never = location;
      throw new Error(`unreachable: ${JSON.stringify(never)}`);
    }
  }
}

async function startPglite(dir: string | undefined, where: string): Promise<PGliteInterface> {
  try {
    // loaded on demand: a worker on PostgreSQL never pays for the WebAssembly build
    const { PGlite } = await import('@electric-sql/pglite');
    return await PGlite.create(dir);
  } catch (error) {
    throw new KilnError('DATABASE_FAILED', `PGlite database ${where}: cannot start it`, { cause: error });
  }
}
