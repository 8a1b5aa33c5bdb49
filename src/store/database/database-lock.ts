import { mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { KilnError } from '../../errors/index.ts';

/** Who holds an embedded database: written into `<dir>.lock` as JSON. */
type LockHolder = { readonly pid: number; readonly owner: string };

export type DatabaseLock = { release(): Promise<void> };

/**
 * Takes `<dir>.lock` (e.g. `<state>/db.lock`) for a PGlite directory: two PGlite instances
 * on one directory corrupt it, so a second opener — another process, or this one again —
 * gets DATABASE_BUSY naming the holder. A lock whose pid is dead (a crash, kill -9) is
 * taken over. The lock sits beside the directory, not in it, so PGlite never sees it.
 */
export async function takeDatabaseLock(dir: string, owner: string, pid: number = process.pid): Promise<DatabaseLock> {
  const file = `${dir}.lock`;
  await mkdir(dirname(dir), { recursive: true }).catch(() => undefined);
  const mine = JSON.stringify({ pid, owner } satisfies LockHolder) + '\n';
  // two attempts: the second after removing a stale lock (another taker may win that race)
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(file, mine, { flag: 'wx' });
      return { release: () => releaseLock(file, mine) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new KilnError('IO', `database lock ${file}: cannot create it`, { cause: error });
      }
    }
    const holder = await readHolder(file);
    if (holder !== undefined && isAlive(holder.pid)) {
      throw new KilnError(
        'DATABASE_BUSY',
        `${dir} is in use by ${holder.owner} (pid ${holder.pid}); use the API (curl …/api/v1/…) or POST /api/v1/cycles, or stop it`,
      );
    }
    // dead holder (or an unreadable, half-written lock of one): take it over
    await unlink(file).catch(() => undefined);
  }
  throw new KilnError('DATABASE_BUSY', `${dir} is being opened by another kiln process at the same time; try again`);
}

async function readHolder(file: string): Promise<LockHolder | undefined> {
  try {
    const parsed: unknown = JSON.parse(await readFile(file, 'utf8'));
    if (typeof parsed === 'object' && parsed !== null) {
      const { pid, owner } = parsed as Record<string, unknown>;
      if (typeof pid === 'number' && Number.isSafeInteger(pid) && pid > 0) return { pid, owner: typeof owner === 'string' ? owner : 'kiln' };
    }
  } catch {
    // missing or not JSON: treated as stale
  }
  return undefined;
}

/** Signal 0 checks existence only; EPERM means alive but someone else's. */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes the lock only if it is still ours (a takeover after a crash wrote another). */
async function releaseLock(file: string, mine: string): Promise<void> {
  const now = await readFile(file, 'utf8').catch(() => undefined);
  if (now === mine) await unlink(file).catch(() => undefined);
}
