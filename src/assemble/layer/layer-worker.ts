import { crc32 } from 'node:zlib';
import { movableBytes, serveThreadJobs, type ThreadJobResult } from '../../threads/index.ts';
import { compressBlock } from './compress-block.ts';
import { compressStandalone } from './standalone-run.ts';

/**
 * A layer thread (layer-threads.ts): compresses away from the main thread, a context
 * block or a whole standalone run (when no reader thread made it beforehand). zlib's
 * per-call state and output buffers are this thread's garbage; on the main thread they
 * kept its collector busy enough to stall the layer pipeline.
 */
export type LayerJob =
  | { readonly kind: 'block'; readonly data: Uint8Array; readonly dictionary: Uint8Array | undefined; readonly level: number }
  | { readonly kind: 'standalone'; readonly data: Uint8Array; readonly level: number };

/** The compressed block, with the CRC-32 of what it holds, so that the main thread only combines CRCs (crc32-combine.ts). */
export type LayerJobReply = { readonly bytes: Uint8Array; readonly crc: number };

serveThreadJobs<LayerJob, LayerJobReply>('layer-worker.ts', (job): ThreadJobResult<LayerJobReply> => {
  const { bytes: out, crc } = job.kind === 'block' ? { bytes: compressBlock(job.data, job.dictionary, job.level), crc: crc32(job.data) } : compressStandalone(job.data, job.level);
  const bytes = movableBytes(out);
  return { reply: { bytes, crc }, transfer: [bytes.buffer] };
});
