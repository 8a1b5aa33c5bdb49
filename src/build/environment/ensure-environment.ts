import { createWriteStream } from 'node:fs';
import { lstat, mkdir, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { KilnError } from '../../errors/index.ts';
import { writeFileAtomic } from '../../files/index.ts';
import { withLock } from './dir-lock.ts';
import { environmentKey } from './environment-key.ts';
import type { EnvironmentProvider, InstalledPackage } from './environment-provider.ts';
import {
  BUILD_LOG_FILE,
  PACKAGES_FILE,
  readEnvironmentRecord,
  RECORD_FILE,
  ROOTFS_DIR,
  type EnvironmentRecord,
} from './environment-record.ts';

/** A ready build environment: a root filesystem for the sandbox and what is in it. */
export type BuildEnvironment = {
  readonly hash: string;
  /** `<cacheDir>/<hash>`, holding rootfs/, environment.json, packages.json and build.log. */
  readonly dir: string;
  readonly rootfs: string;
  readonly record: EnvironmentRecord;
  readonly installed: readonly InstalledPackage[];
  /** Whether it came from the cache rather than being built by this call. */
  readonly cached: boolean;
};

export type EnsureEnvironmentOptions = {
  /** e.g. `<state>/environments` */
  readonly cacheDir: string;
  readonly provider: EnvironmentProvider;
  /** A recipe's environment.contents.packages. */
  readonly packages: readonly string[];
  readonly log?: (line: string) => void;
  readonly signal?: AbortSignal;
  /** How long to wait for another process building the same environment. */
  readonly lockTimeoutMs?: number;
};

/**
 * Returns the environment holding `packages`, building it on first use. Environments are
 * cached by the hash of provider identity + normalised package list; a build goes into a
 * private temp directory that is renamed into place only when complete, so a reader sees a
 * whole environment or none. A lock per hash keeps two processes from building the same one.
 */
export async function ensureEnvironment(opts: EnsureEnvironmentOptions): Promise<BuildEnvironment> {
  const packages = opts.provider.normalisePackages(opts.packages);
  const hash = environmentKey(opts.provider, packages);
  const dir = join(opts.cacheDir, hash);
  const log = opts.log ?? (() => undefined);

  const ready = await tryCached(dir);
  if (ready) return ready;

  await mkdir(opts.cacheDir, { recursive: true, mode: 0o755 });
  return withLock(
    join(opts.cacheDir, `${hash}.lock`),
    async () => {
      // another process may have finished it while we waited
      const done = await tryCached(dir);
      if (done) return done;
      await removeLeftovers(opts.cacheDir, hash);
      if (await exists(dir)) {
        // a complete environment is renamed into place whole, so this one was damaged afterwards
        log(`environment ${hash}: record unreadable, rebuilding`);
        await rename(dir, join(opts.cacheDir, `.tmp-${hash}-damaged-${process.pid}`));
        await removeLeftovers(opts.cacheDir, hash);
      }
      return buildInto(opts, packages, hash, dir, log);
    },
    {
      timeoutMs: opts.lockTimeoutMs ?? 60 * 60 * 1000,
      onWait: () => log(`environment ${hash}: waiting for another process building it`),
    },
  );
}

async function buildInto(
  opts: EnsureEnvironmentOptions,
  packages: readonly string[],
  hash: string,
  dir: string,
  log: (line: string) => void,
): Promise<BuildEnvironment> {
  const tmp = join(opts.cacheDir, `.tmp-${hash}-${process.pid}-${Date.now()}`);
  await mkdir(tmp, { mode: 0o755 });
  const logFile = createWriteStream(join(tmp, BUILD_LOG_FILE), { flags: 'w', mode: 0o644 });
  const tail: string[] = [];
  const logLine = (line: string): void => {
    logFile.write(`${line}\n`);
    tail.push(line);
    if (tail.length > 20) tail.shift();
    log(line);
  };
  try {
    const built = await opts.provider.build({
      packages,
      rootfs: join(tmp, ROOTFS_DIR),
      log: logLine,
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    await new Promise<void>((resolve, reject) => logFile.end((e?: Error | null) => (e ? reject(e) : resolve())));
    const installed = built.installed;
    const base = opts.provider.base;
    const record: EnvironmentRecord = {
      hash,
      provider: { kind: opts.provider.kind, identity: { ...opts.provider.identity } },
      requested: [...packages],
      ...(base && { base: { hash: base.hash, provider: { kind: base.provider.kind, identity: { ...base.provider.identity } }, requested: [...base.requested] } }),
      ...(built.overwritten && built.overwritten.length > 0 && { overwritten: built.overwritten.map((o) => ({ ...o })) }),
      createdAt: new Date().toISOString(),
    };
    await writeFileAtomic(join(tmp, PACKAGES_FILE), `${JSON.stringify(installed, null, 2)}\n`);
    // the record last: its presence is what makes a directory an environment
    await writeFileAtomic(join(tmp, RECORD_FILE), `${JSON.stringify(record, null, 2)}\n`);
    await rename(tmp, dir);
    return { hash, dir, rootfs: join(dir, ROOTFS_DIR), record, installed, cached: false };
  } catch (e) {
    // a line logged while the failure unwinds must not turn into an unhandled stream error
    logFile.on('error', () => undefined);
    logFile.destroy();
    await rm(tmp, { recursive: true, force: true });
    const code = (e as NodeJS.ErrnoException).code;
    // without the lock's help (a stale-lock race), someone else may have won: theirs is as good
    if (code === 'ENOTEMPTY' || code === 'EEXIST') {
      const theirs = await tryCached(dir);
      if (theirs) return theirs;
    }
    if (e instanceof KilnError) {
      throw new KilnError(e.code, `${e.message}${tail.length ? `\n${tail.map((l) => `  | ${l}`).join('\n')}` : ''}`, { cause: e });
    }
    throw new KilnError('ENVIRONMENT_FAILED', `building environment ${hash}: ${(e as Error).message}`, { cause: e });
  }
}

async function tryCached(dir: string): Promise<BuildEnvironment | undefined> {
  if (!(await exists(join(dir, RECORD_FILE)))) return undefined;
  try {
    const { record, installed } = await readEnvironmentRecord(dir);
    return { hash: record.hash, dir, rootfs: join(dir, ROOTFS_DIR), record, installed, cached: true };
  } catch {
    return undefined;
  }
}

/** Temp directories of earlier builds of this hash that died half-way (we hold the lock, so none is live). */
async function removeLeftovers(cacheDir: string, hash: string): Promise<void> {
  for (const name of await readdir(cacheDir)) {
    if (name.startsWith(`.tmp-${hash}-`)) await rm(join(cacheDir, name), { recursive: true, force: true });
  }
}

async function exists(path: string): Promise<boolean> {
  return (await lstat(path).catch(() => undefined)) !== undefined;
}
