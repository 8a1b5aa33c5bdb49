import { availableParallelism } from 'node:os';
import { WINDOW } from './compress-block.ts';
import { crc32Combine } from './crc32-combine.ts';
import { compressBlockOnThread, compressStandaloneOnThread, type CompressedBlock } from './layer-threads.ts';
import { FINAL_EMPTY_BLOCK, RUN_FORMAT } from './standalone-run.ts';
import type { TarSegment } from './tar-segments.ts';

/**
 * gzip in independent blocks, compressed side by side on the layer threads, the way
 * pigz does it: each block is raw deflate ended on a byte boundary (compress-block.ts),
 * so the next can simply follow; one gzip header, an empty final block and a CRC-32/size
 * trailer wrap them. The result is one ordinary gzip member any gunzip reads.
 *
 * - A `context` segment is one block primed with the last 32 KiB of the segment before
 *   it, so the ratio stays close to one stream's.
 * - A `standalone` segment (one large file's content) is its standalone run
 *   (standalone-run.ts): taken as given when the segment brings one made at this level
 *   and format (the image builder prepares them while reading packages, from the layer
 *   cache or freshly compressed), else made on a layer thread by the same function.
 *
 * Output depends only on the segments, the level and zlib's own version, never on how
 * many blocks ran at once or where a run came from, so it stays deterministic.
 */

export type ParallelGzipOptions = {
  readonly level: number;
  /** Blocks in flight at once; by default two per layer thread. Never changes the bytes. */
  readonly concurrency?: number;
  /**
   * Told when a context segment's bytes are no longer read (its block and the next,
   * which takes its last 32 KiB as dictionary, are compressed), so the caller can fill
   * them again instead of allocating. Without it they are simply dropped.
   */
  readonly release?: (chunk: Buffer) => void;
};

/** Blocks in flight by default: two per layer thread, so each has the next one queued. */
export function defaultGzipConcurrency(): number {
  return 2 * Math.max(1, Math.min(availableParallelism(), 4));
}

/** Compresses `source` segment by segment, in order; the caller does not touch a segment's bytes again until released. */
export async function* parallelGzip(source: AsyncIterable<TarSegment>, options: ParallelGzipOptions): AsyncGenerator<Buffer> {
  const { level } = options;
  const concurrency = options.concurrency ?? defaultGzipConcurrency();
  // mtime 0, XFL as zlib sets it for the level, OS 3 (unix) whatever the host.
  yield Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, level === 9 ? 2 : level === 1 ? 4 : 0, 3]);
  const slots = new Slots(concurrency);
  const inSlot = async (work: () => Promise<CompressedBlock>): Promise<CompressedBlock> => {
    await slots.acquire();
    try {
      return await work();
    } finally {
      slots.release();
    }
  };
  // Blocks queued beyond the ones compressing: while the consumer writes or the source
  // tars, the threads take the next ones instead of waiting for the main thread.
  const window = 2 * concurrency + 2;
  // each block with its context bytes: those are released once the block and the next are done
  const pending: { readonly out: Promise<CompressedBlock>; readonly input: Buffer | undefined }[] = [];
  let done: Buffer | undefined;
  // the trailer's CRC-32, from each block's own (the threads hash what they compress or verify)
  let crc = 0;
  const next = async (): Promise<Buffer> => {
    const block = pending.shift() as (typeof pending)[number];
    const out = await block.out;
    crc = crc32Combine(crc, out.crc, out.length);
    if (done !== undefined) options.release?.(done);
    done = block.input;
    return out.bytes;
  };
  let size = 0;
  let previous: Uint8Array | undefined;
  for await (const segment of source) {
    if (segment.bytes.length === 0) continue;
    size += segment.bytes.length;
    let out: Promise<CompressedBlock>;
    if (segment.kind === 'context') {
      const { bytes } = segment;
      const dictionary = previous?.subarray(Math.max(0, previous.length - WINDOW));
      out = inSlot(() => compressBlockOnThread(bytes, dictionary, level));
    } else {
      const given = segment.compressed;
      out =
        given !== undefined && given.level === level && given.format === RUN_FORMAT
          ? Promise.resolve({ bytes: given.bytes, crc: given.crc, length: segment.bytes.length })
          : inSlot(() => compressStandaloneOnThread(segment.bytes, level));
    }
    // awaited in order later; until then a failure must not count as unhandled
    out.catch(() => undefined);
    pending.push({ out, input: segment.kind === 'context' ? segment.bytes : undefined });
    previous = segment.bytes;
    while (pending.length >= window) yield await next();
  }
  while (pending.length > 0) yield await next();
  yield Buffer.from(FINAL_EMPTY_BLOCK);
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc >>> 0, 0);
  trailer.writeUInt32LE(size % 2 ** 32, 4);
  yield trailer;
}

/** At most `size` blocks compressing at once; waiters go first come, first served. */
class Slots {
  #free: number;
  readonly #waiting: (() => void)[] = [];

  constructor(size: number) {
    this.#free = size;
  }

  acquire(): Promise<void> {
    if (this.#free > 0) {
      this.#free--;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  release(): void {
    const next = this.#waiting.shift();
    if (next !== undefined) next();
    else this.#free++;
  }
}
