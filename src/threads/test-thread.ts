import { getCompileCacheDir } from 'node:module';
import { threadId } from 'node:worker_threads';
import { KilnError } from '../errors/index.ts';
import { serveThreadJobs } from './thread-jobs.ts';

/**
 * A worker module for thread-pool.test.ts: echoes, fails (with a plain error or a
 * KilnError), dies, waits, or tells the compile cache it runs with, on request.
 */
export type TestJob = { readonly op: 'echo' | 'throw' | 'kiln-error' | 'exit' | 'sleep' | 'compile-cache'; readonly value: number; readonly bytes?: Uint8Array };
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
    case 'echo':
      break;
  }
  const bytes = job.bytes;
  return { reply: { value: job.value, thread: threadId, ...(bytes !== undefined && { bytes }) }, ...(bytes !== undefined && { transfer: [bytes.buffer as ArrayBuffer] }) };
});
