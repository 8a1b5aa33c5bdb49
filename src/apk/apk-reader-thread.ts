import { serveThreadJobs } from '../threads/index.ts';
import { runAfterRead } from './apk-after-read.ts';
import { packApk, readOptionsOf, type ApkReadReply, type ApkReadRequest } from './apk-reader-wire.ts';
import { readApkOnThisThread } from './read-apk.ts';

/**
 * The work of an APK reader thread (see apk-reader-pool.ts): for each request it reads
 * the package file itself (only the path crosses over, never the bytes), verifies it
 * exactly as readApk does, and replies with the inflated data moved, not copied. Its
 * errors reach the caller as readApk throws them.
 */
serveThreadJobs<ApkReadRequest, ApkReadReply>('apk-reader-thread.ts', async (request) => {
  const decoded = await readApkOnThisThread(request.path, readOptionsOf(request));
  // the step first: packing moves the contents' buffers out of this thread's reach
  const after = request.afterRead === undefined ? undefined : await runAfterRead(decoded, request.afterRead);
  const { apk, transfer } = packApk(decoded);
  return { reply: { apk, ...(after !== undefined && { after: after.result }) }, transfer: [...transfer, ...(after?.transfer ?? [])] };
});
