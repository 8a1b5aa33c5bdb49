import { open, readFile, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { KilnError } from '../../errors/index.ts';

export type LockOptions = {
  readonly timeoutMs: number;
  readonly pollMs?: number;
  /** Called once when the lock is busy, e.g. to log "waiting for another build of …". */
  readonly onWait?: () => void;
};

/**
 * Runs `fn` holding an exclusive lock file (created with O_EXCL), for processes on this
 * machine. A lock left by a process that died is taken over. Taking over has a narrow race
 * (two waiters may both see the dead owner); callers must therefore stay correct without
 * the lock, which only saves duplicate work: environments are built in private temp
 * directories and renamed into place.
 */
export async function withLock<T>(path: string, fn: () => Promise<T>, opts: LockOptions): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs;
  const me = `${process.pid}@${hostname()}`;
  let warned = false;
  for (;;) {
    try {
      const fh = await open(path, 'wx', 0o644);
      await fh.writeFile(`${me}\n`);
      await fh.close();
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const owner = (await readFile(path, 'utf8').catch(() => '')).trim();
    if (owner !== '' && !ownerAlive(owner)) {
      await rm(path, { force: true });
      continue;
    }
    if (Date.now() > deadline) {
      throw new KilnError('ENVIRONMENT_FAILED', `lock ${path}: still held by ${owner || 'another process'} after ${opts.timeoutMs} ms`);
    }
    if (!warned) {
      warned = true;
      opts.onWait?.();
    }
    await sleep(opts.pollMs ?? 250);
  }
  try {
    return await fn();
  } finally {
    await rm(path, { force: true });
  }
}

/** Whether the `pid@host` that wrote a lock still runs; a lock from another host is assumed live. */
function ownerAlive(owner: string): boolean {
  const m = /^(\d+)@(.*)$/.exec(owner);
  if (!m) return true;
  if (m[2] !== hostname()) return true;
  try {
    process.kill(Number(m[1]), 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
