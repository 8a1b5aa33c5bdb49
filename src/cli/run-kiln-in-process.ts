import { main } from './main.ts';

export type KilnRun = { readonly status: number; readonly stdout: string; readonly stderr: string };

/**
 * For tests: runs `kiln …` in this process (much faster than a new Node per call, and a
 * registry started by the test keeps answering, since every call is async), capturing
 * what it prints and the exit status it sets. kiln writes strings; binary writes (the
 * test runner's own reports) still reach the real streams.
 */
export async function runKilnInProcess(args: readonly string[]): Promise<KilnRun> {
  const out: string[] = [];
  const err: string[] = [];
  const real = { out: process.stdout.write.bind(process.stdout), err: process.stderr.write.bind(process.stderr) };
  const capture = (sink: string[], pass: typeof real.out) =>
    ((s: string | Uint8Array, ...rest: never[]) => (typeof s === 'string' ? (sink.push(s), true) : pass(s, ...rest))) as typeof process.stdout.write;
  process.stdout.write = capture(out, real.out);
  process.stderr.write = capture(err, real.err);
  const before = process.exitCode;
  process.exitCode = 0;
  try {
    await main(args);
    return { status: Number(process.exitCode ?? 0), stdout: out.join(''), stderr: err.join('') };
  } finally {
    process.stdout.write = real.out;
    process.stderr.write = real.err;
    process.exitCode = before;
  }
}
