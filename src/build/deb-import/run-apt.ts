import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { KilnError } from '../../errors/index.ts';

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
  opts: { readonly env: Readonly<Record<string, string>>; readonly timeoutMs: number; readonly log?: ((line: string) => void) | undefined; readonly cwd?: string; readonly separateStderr?: boolean },
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
      child.once('error', (e) => reject(new KilnError('DEB_FETCH_FAILED', `cannot run ${command}: ${e.message}`, { cause: e })));
      child.once('close', (code) => resolve({ code, stdout, stderr, output }));
    });
  } finally {
    clearTimeout(timer);
  }
}
