import { getCompileCacheDir } from 'node:module';
import { threadId } from 'node:worker_threads';
import { KilnError } from '../errors/index.ts';
import { serveThreadJobs } from './thread-jobs.ts';

/**
 * A worker module for thread-pool.test.ts: echoes, fails (with a plain error or a
 * KilnError), dies, waits, or tells the compile cache it runs with, on request.
 */
export type TestJob = {
  readonly op: 'echo' | 'throw' | 'kiln-error' | 'exit' | 'sleep' | 'compile-cache' | 'meet';
  readonly value: number;
  readonly bytes?: Uint8Array;
  /** `meet`: a shared counter; the job returns once `value` jobs have arrived (or after 20 s). */
  readonly meeting?: Int32Array;
};
export type TestReply = { readonly value: number; readonly thread: number; readonly bytes?: Uint8Array; readonly compileCacheDir?: string };

serveThreadJobs<TestJob, TestReply>('test-thread.ts', async (job) => {
  switch (job.op) {
    case 'throw':
      throw new Error(`job ${job.value} failed on purpose`);
    case 'kiln-error':
      throw new KilnError('DIGEST_MISMATCH', `job ${job.value}: content hashes to something else`, { cause: new RangeError('the cause') });
    case 'exit':
      process.exit(7);
      break;
    case 'sleep':
      await new Promise((r) => setTimeout(r, job.value));
      break;
    case 'compile-cache': {
      const compileCacheDir = getCompileCacheDir();
      return { reply: { value: job.value, thread: threadId, ...(compileCacheDir !== undefined && { compileCacheDir }) } };
    }
    case 'meet': {
      const counter = job.meeting as Int32Array;
      Atomics.add(counter, 0, 1);
      Atomics.notify(counter, 0);
      const until = Date.now() + 20_000;
      for (let seen = Atomics.load(counter, 0); seen < job.value && Date.now() < until; seen = Atomics.load(counter, 0)) Atomics.wait(counter, 0, seen, 100);
      return { reply: { value: Atomics.load(counter, 0), thread: threadId } };
    }
    case 'echo':
      break;
  }
  const bytes = job.bytes;
  return { reply: { value: job.value, thread: threadId, ...(bytes !== undefined && { bytes }) }, ...(bytes !== undefined && { transfer: [bytes.buffer as ArrayBuffer] }) };
});
