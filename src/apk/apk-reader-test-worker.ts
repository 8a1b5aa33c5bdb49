import { parentPort } from 'node:worker_threads';
import type { ApkReadRequest } from './apk-reader-wire.ts';

/**
 * For apk-reader-pool.test.ts: a reader thread that dies on purpose when asked for a
 * package named `exit.apk` (the thread ends, as if killed) or `throw.apk` (an uncaught
 * exception), and reads every other package as the real one does. Its listener comes
 * first, so the real reader never starts on those two.
 */
parentPort?.on('message', (m: { readonly request: ApkReadRequest }) => {
  if (m.request.path.endsWith('/exit.apk')) process.exit(9);
  if (m.request.path.endsWith('/throw.apk')) throw new Error('the test reader fails on purpose');
});
await import('./apk-reader-thread.ts');
