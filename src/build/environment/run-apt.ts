import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { KilnError, type KilnErrorCode } from '../../errors/index.ts';
import { proxyEnv } from './apt-proxy.ts';

export type AptRun = {
  readonly code: number | null;
  readonly stdout: string;
  /** Only with `separateStderr`. */
  readonly stderr: string;
  /** stdout and stderr interleaved (the last 64 KiB), for messages. */
  readonly output: string;
};

/**
 * Runs apt-get or apt-cache with exactly `env`, no stdin, and a time limit. Lines go to
 * `log` as they come; stdout is kept (apt-cache show output is small).
 */
export async function runApt(
  command: 'apt-get' | 'apt-cache',
  args: readonly string[],
  opts: {
    readonly env: Readonly<Record<string, string>>;
    readonly timeoutMs: number;
    readonly log?: ((line: string) => void) | undefined;
    readonly cwd?: string;
    readonly separateStderr?: boolean;
    /** The code of the error when apt cannot be started at all (default DEB_FETCH_FAILED). */
    readonly failCode?: KilnErrorCode;
  },
): Promise<AptRun> {
  const child = spawn(command, args, { env: { ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'], ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}) });
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
  let stdout = '';
  let stderr = '';
  let output = '';
  const keep = (s: string): void => {
    output = (output + s).slice(-65536);
  };
  child.stdout.setEncoding('utf8').on('data', (s: string) => {
    stdout += s;
    keep(s);
  });
  if (opts.separateStderr) child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  createInterface({ input: child.stderr }).on('line', (l) => {
    keep(`${l}\n`);
    opts.log?.(l);
  });
  if (opts.log) createInterface({ input: child.stdout }).on('line', (l) => opts.log?.(l));
  try {
    return await new Promise<AptRun>((resolve, reject) => {
      child.once('error', (e) => reject(new KilnError(opts.failCode ?? 'DEB_FETCH_FAILED', `cannot run ${command}: ${e.message}`, { cause: e })));
      child.once('close', (code) => resolve({ code, stdout, stderr, output }));
    });
  } finally {
    clearTimeout(timer);
  }
}

/**
 * apt options for a private apt state in `dir` (lists, status, cache), so the host's is
 * never touched: no translations, nothing apt could not authenticate whatever the host
 * allows, and no locking (the lock files live in the private directory; one run at a
 * time is the caller's job). `extra` adds the caller's own (architecture, sources).
 */
export function privateAptOptions(dir: string, extra: readonly string[] = []): string[] {
  return [
    '-q',
    ...aptOption('Dir::State::Lists', join(dir, 'lists')),
    ...aptOption('Dir::State::status', join(dir, 'status')),
    ...aptOption('Dir::Cache', join(dir, 'cache')),
    ...aptOption('Acquire::Languages', 'none'),
    ...aptOption('Acquire::AllowInsecureRepositories', 'false'),
    ...aptOption('Acquire::AllowDowngradeToInsecureRepositories', 'false'),
    ...aptOption('APT::Get::AllowUnauthenticated', 'false'),
    ...aptOption('Debug::NoLocking', '1'),
    ...extra,
  ];
}

/** `-o KEY=VALUE` for apt-get and apt-cache. */
export function aptOption(key: string, value: string): string[] {
  return ['-o', `${key}=${value}`];
}

/** apt's whole environment: a fixed PATH, the C locale, and the caller's proxy variables. */
export function aptChildEnv(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  return { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C', ...proxyEnv(env) };
}
