import { enableCompileCache } from 'node:module';
import { workerData } from 'node:worker_threads';

/** What a {@link ThreadPool} tells its threads' entry. */
export type ThreadEntryData = {
  /** The module that serves the pool's jobs (the pool's `url`). */
  readonly module: string;
  /** The main process's compile cache root, if it keeps one. */
  readonly compileCacheDir?: string;
};

/**
 * The entry of every pool thread. A new thread is a new V8 isolate that loads and
 * type-strips kiln's modules again (~70 ms of its ~150 ms start); Node's compile cache
 * is per thread, not inherited, so the thread enables the main process's cache before it
 * loads them, which cuts that to ~30 ms. So nothing of kiln's loads here before the
 * cache is on (the errors only when there is one to throw).
 */
const data = workerData as ThreadEntryData | null;
if (data === null || typeof data.module !== 'string') {
  const { KilnError } = await import('../errors/index.ts');
  throw new KilnError('USAGE', 'thread-entry.ts runs as a worker thread of a ThreadPool, not as a program');
}
if (data.compileCacheDir !== undefined) enableCompileCache(data.compileCacheDir);
await import(data.module);
