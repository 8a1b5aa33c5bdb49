import { spawn } from 'node:child_process';
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { KilnError } from '../../errors/index.ts';

/**
 * SOURCE_DATE_EPOCH for a build, in order: the `--source-date-epoch` flag, the
 * SOURCE_DATE_EPOCH environment variable, else derived from the sources (see
 * {@link newestSourceTime}), else 0. Whatever decides, the same release gives the
 * same value on every machine and every rebuild.
 */
export function explicitSourceDateEpoch(flag: number | undefined, env: string | undefined): number | undefined {
  if (flag !== undefined) return checkEpoch(flag, '--source-date-epoch');
  if (env !== undefined && env !== '') {
    if (!/^[0-9]{1,12}$/.test(env)) throw new KilnError('USAGE', `SOURCE_DATE_EPOCH: expected seconds since 1970, found ${JSON.stringify(env)}`);
    return checkEpoch(Number(env), 'SOURCE_DATE_EPOCH');
  }
  return undefined;
}

function checkEpoch(n: number, what: string): number {
  if (!Number.isSafeInteger(n) || n < 0) throw new KilnError('USAGE', `${what}: expected seconds since 1970, found ${n}`);
  return n;
}

/**
 * The newest modification time (whole seconds) among regular files under `dir` that
 * is older than `before` (ms): after an extraction that keeps the archive's times,
 * that is the release's newest file, while anything kiln itself wrote during the step
 * (the archive copy, a fresh git checkout) is newer than `before` and left out.
 * Symlinks are not followed. Returns undefined when nothing qualifies.
 */
export async function newestSourceTime(dir: string, before: number): Promise<number | undefined> {
  let newest: number | undefined;
  const walk = async (d: string): Promise<void> => {
    for (const name of await readdir(d).catch(() => [] as string[])) {
      if (name === '.git') continue;
      const p = join(d, name);
      const st = await lstat(p).catch(() => undefined);
      if (!st) continue;
      if (st.isDirectory()) await walk(p);
      else if (st.isFile() && st.mtimeMs < before) {
        const s = Math.floor(st.mtimeMs / 1000);
        if (newest === undefined || s > newest) newest = s;
      }
    }
  };
  await walk(dir);
  return newest;
}

/**
 * The committer time of HEAD in a checkout kiln made itself (git-checkout creates the
 * repository fresh, so its config is kiln's). Runs git with no system or global config.
 */
export function gitCommitTime(repo: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const child = spawn('git', ['-C', repo, 'log', '-1', '--format=%ct'], {
      env: { PATH: '/usr/bin:/bin', GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', HOME: '/nonexistent' },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.on('error', () => resolve(undefined));
    child.on('close', (code) => resolve(code === 0 && /^\d+\s*$/.test(out) ? Number(out.trim()) : undefined));
  });
}
