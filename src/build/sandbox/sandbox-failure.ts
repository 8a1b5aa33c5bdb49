import { KilnError } from '../../errors/index.ts';
import type { SandboxResult } from './sandbox-options.ts';

/** How many lines of the log go into the error message. */
const TAIL_IN_MESSAGE = 20;

/** A one-line account of how the sandbox ended, e.g. "exited with status 2 after 3.1 s". */
export function describeSandboxResult(r: SandboxResult): string {
  const after = `after ${(r.durationMs / 1000).toFixed(1)} s`;
  if (r.timedOut) return `killed at its time limit ${after}`;
  if (r.aborted) return `cancelled ${after}`;
  if (r.signal !== null) return `killed by ${r.signal} ${after}`;
  return `exited with status ${r.exitCode} ${after}`;
}

/** Throws SANDBOX_FAILED, naming the step and quoting the end of its log, unless it exited 0. */
export function assertSandboxSucceeded(result: SandboxResult, what: string): void {
  if (result.exitCode === 0 && !result.timedOut && !result.aborted) return;
  const tail = result.logTail.slice(-TAIL_IN_MESSAGE).map((l) => `  | ${l}`).join('\n');
  throw new KilnError(
    'SANDBOX_FAILED',
    `${what}: expected exit status 0, ${describeSandboxResult(result)} (log: ${result.logPath})${tail ? `\n${tail}` : ''}`,
  );
}
