import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { KilnError } from '../../errors/index.ts';

export type HostCommandResult = { readonly code: number | null; readonly signal: NodeJS.Signals | null; readonly stdout: string };

/**
 * Runs a host tool (mmdebstrap, dpkg-query) with exactly `env`, streaming its lines to `log`
 * (stdout too, unless captured) and killing it at `timeoutMs` or on abort.
 */
export async function runHostCommand(
  command: string,
  args: readonly string[],
  opts: {
    readonly env: Readonly<Record<string, string>>;
    readonly timeoutMs: number;
    readonly log?: (line: string) => void;
    readonly captureStdout?: boolean;
    readonly signal?: AbortSignal;
  },
): Promise<HostCommandResult> {
  const child = spawn(command, args, { env: { ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const kill = (): void => {
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  const timer = setTimeout(kill, opts.timeoutMs);
  opts.signal?.addEventListener('abort', kill, { once: true });
  let stdout = '';
  if (opts.captureStdout) {
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (s: string) => (stdout += s));
  } else {
    createInterface({ input: child.stdout }).on('line', (l) => opts.log?.(l));
  }
  createInterface({ input: child.stderr }).on('line', (l) => opts.log?.(l));
  try {
    return await new Promise<HostCommandResult>((resolve, reject) => {
      child.once('error', (e) => reject(new KilnError('ENVIRONMENT_FAILED', `cannot run ${command}: ${e.message}`, { cause: e })));
      child.once('close', (code, signal) => resolve({ code, signal, stdout }));
    });
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', kill);
  }
}
