import { availableParallelism } from 'node:os';
import { constants, crc32, deflateRaw } from 'node:zlib';

/**
 * gzip in independent blocks, compressed side by side on libuv's thread pool, the way
 * pigz does it: each block is raw deflate primed with the previous block's last 32 KiB
 * (so the ratio stays close to one stream) and ended with a sync flush, the last one
 * with the final-block bit; one gzip header and a CRC-32/size trailer wrap them. The
 * result is one ordinary gzip member any gunzip reads. Output depends only on the input
 * chunks, the level and the block boundaries (the chunks given), never on how many
 * blocks ran at once, so it stays deterministic.
 */

const WINDOW = 32 * 1024;

export type ParallelGzipOptions = {
  readonly level: number;
  /** Blocks compressed at once; by default the CPU count, leaving one pool thread for file I/O. */
  readonly concurrency?: number;
};

export function defaultGzipConcurrency(): number {
  const pool = Number(process.env['UV_THREADPOOL_SIZE']) || 4;
  return Math.max(1, Math.min(availableParallelism(), pool - 1));
}

/** Compresses `source` chunk by chunk (each chunk one block; callers hand in ~1 MiB chunks it never touches again). */
export async function* parallelGzip(source: AsyncIterable<Buffer>, options: ParallelGzipOptions): AsyncGenerator<Buffer> {
  const { level } = options;
  const concurrency = options.concurrency ?? defaultGzipConcurrency();
  // mtime 0, XFL as zlib sets it for the level, OS 3 (unix) whatever the host.
  yield Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, level === 9 ? 2 : level === 1 ? 4 : 0, 3]);
  const pending: Promise<Buffer>[] = [];
  let crc = 0;
  let size = 0;
  let held: Buffer | undefined;
  let dictionary: Buffer | undefined;
  for await (const chunk of source) {
    if (held !== undefined) {
      pending.push(deflateBlock(held, dictionary, level, false));
      dictionary = held.length >= WINDOW ? held.subarray(held.length - WINDOW) : held;
      while (pending.length >= concurrency) yield await (pending.shift() as Promise<Buffer>);
    }
    crc = crc32(chunk, crc);
    size += chunk.length;
    held = chunk;
  }
  pending.push(deflateBlock(held ?? Buffer.alloc(0), dictionary, level, true));
  while (pending.length > 0) yield await (pending.shift() as Promise<Buffer>);
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc >>> 0, 0);
  trailer.writeUInt32LE(size % 2 ** 32, 4);
  yield trailer;
}

function deflateBlock(data: Buffer, dictionary: Buffer | undefined, level: number, last: boolean): Promise<Buffer> {
  const p = new Promise<Buffer>((resolve, reject) => {
    deflateRaw(
      data,
      {
        level,
        memLevel: 8,
        // One output buffer for the whole block: one hand-back to the main thread instead
        // of one per 16 KiB, and output that does not depend on buffer refills.
        chunkSize: data.length + (data.length >> 3) + 65536,
        ...(dictionary !== undefined && dictionary.length > 0 && { dictionary }),
        finishFlush: last ? constants.Z_FINISH : constants.Z_SYNC_FLUSH,
      },
      (err, out) => (err ? reject(err) : resolve(out)),
    );
  });
  // Awaited in order later; until then a failure must not count as unhandled.
  p.catch(() => undefined);
  return p;
}
