import { KilnError, isInputError, isKilnError } from '../errors/index.ts';

/** Exit status: 0 success, 1 the work failed, 2 bad usage or bad input. */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/** The one place that turns an error into a message and an exit status. */
export function reportError(e: unknown): number {
  if (isKilnError(e)) {
    process.stderr.write(`error[${e.code}] ${e.message}\n`);
    if (process.env['KILN_DEBUG'] && e.cause) process.stderr.write(`caused by: ${String((e.cause as Error).stack ?? e.cause)}\n`);
    return isInputError(e.code) ? EXIT_USAGE : EXIT_FAILED;
  }
  const err = e as Error;
  process.stderr.write(`error ${err?.stack ?? String(e)}\n`);
  return EXIT_FAILED;
}

/**
 * Wraps a command's action so that its errors are reported in one format and
 * become the right exit status.
 */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<void> | void): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (e) {
      process.exitCode = reportError(e);
    }
  };
}

/** Parses an integer flag, or throws USAGE naming the flag. */
export function intOption(flag: string, value: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new KilnError('USAGE', `${flag}: expected a whole number from ${min} to ${max}, found ${JSON.stringify(value)}`);
  }
  return n;
}

/** Parses `HOST:PORT` (or `:PORT`, or `PORT`) for --listen. */
export function parseListen(value: string): { host: string; port: number } {
  const m = /^(?:(\[[0-9a-fA-F:]+\]|[^:]*):)?([0-9]{1,5})$/.exec(value);
  if (!m) throw new KilnError('USAGE', `--listen: expected HOST:PORT such as 127.0.0.1:5000, found ${JSON.stringify(value)}`);
  const host = m[1] ? m[1].replace(/^\[|\]$/g, '') : '127.0.0.1';
  return { host, port: intOption('--listen port', m[2] ?? '', 0, 65535) };
}
