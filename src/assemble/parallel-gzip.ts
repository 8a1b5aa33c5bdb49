import { availableParallelism } from 'node:os';
import { promisify } from 'node:util';
import { constants, crc32, deflateRaw as deflateRawCallback } from 'node:zlib';
import { looksIncompressible } from './incompressible.ts';

/**
 * gzip in independent blocks, compressed side by side on libuv's thread pool, the way
 * pigz does it: each block is raw deflate primed with the previous 32 KiB of input (so
 * the ratio stays close to one stream) and ended with a sync flush, the last one with
 * the final-block bit; one gzip header and a CRC-32/size trailer wrap them. The result
 * is one ordinary gzip member any gunzip reads.
 *
 * Within a block, each 64 KiB segment that looks like already-compressed or random
 * data ({@link looksIncompressible}) is written as deflate "stored" blocks instead of
 * being handed to zlib: zlib searches such data for matches longer than it takes over
 * text (about 25 ms per MiB against 8-15 at levels 1-4) and then stores it anyway. The
 * deflate in umoci's pgzip (klauspost/compress), zstd and lz4 also skip quickly over
 * data that does not compress; what zlib would have stored is the same size either way.
 *
 * Output depends only on the input chunks, the level and the block boundaries (the
 * chunks given), never on how many blocks ran at once, so it stays deterministic.
 */

const WINDOW = 32 * 1024;
const deflateRaw = promisify(deflateRawCallback);
/** The unit judged compressible or not; at least WINDOW, so a run inside a block finds its dictionary in that block. */
const SEGMENT = 64 * 1024;
/** Largest stored block deflate allows (LEN is 16 bits). */
const MAX_STORED = 0xffff;

export type ParallelGzipOptions = {
  readonly level: number;
  /** zlib jobs at once; by default the CPU count, leaving one pool thread for file I/O. */
  readonly concurrency?: number;
  /**
   * Told when an input chunk is no longer read (its block and the next, which takes its
   * last 32 KiB as dictionary, are compressed), so the caller can fill it again instead
   * of allocating a new one. Without it chunks are simply dropped.
   */
  readonly release?: (chunk: Buffer) => void;
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
  const slots = new Slots(concurrency);
  // Blocks queued beyond the ones compressing: while the consumer writes or the source
  // tars, the pool threads take the next ones instead of waiting for the main thread.
  const window = 2 * concurrency + 2;
  // each block with its input chunk: a chunk is released once its block and the next are done
  const pending: { readonly out: Promise<readonly Buffer[]>; readonly input: Buffer }[] = [];
  let done: Buffer | undefined;
  const next = async (): Promise<Buffer> => {
    const block = pending.shift() as (typeof pending)[number];
    const out = concat(await block.out);
    if (done !== undefined) options.release?.(done);
    done = block.input;
    return out;
  };
  let crc = 0;
  let size = 0;
  let held: Buffer | undefined;
  let dictionary: Buffer | undefined;
  for await (const chunk of source) {
    if (held !== undefined) {
      pending.push({ out: compressBlock(held, dictionary, level, false, slots), input: held });
      dictionary = held.length >= WINDOW ? held.subarray(held.length - WINDOW) : held;
      while (pending.length >= window) yield await next();
    }
    crc = crc32(chunk, crc);
    size += chunk.length;
    held = chunk;
  }
  pending.push({ out: compressBlock(held ?? Buffer.alloc(0), dictionary, level, true, slots), input: held ?? Buffer.alloc(0) });
  while (pending.length > 0) yield await next();
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc >>> 0, 0);
  trailer.writeUInt32LE(size % 2 ** 32, 4);
  yield trailer;
}

/**
 * A block's pieces as one buffer: one write and one hash update downstream instead of
 * one per stored piece and header (hundreds per block of incompressible data).
 */
function concat(parts: readonly Buffer[]): Buffer {
  return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts as Buffer[]);
}

type Run = { readonly start: number; readonly end: number; readonly stored: boolean };

/** One block as runs of segments to deflate and segments to store, in order. */
function runsOf(data: Buffer): Run[] {
  const runs: Run[] = [];
  for (let start = 0; start < data.length; start += SEGMENT) {
    const end = Math.min(data.length, start + SEGMENT);
    const stored = looksIncompressible(data, start, end);
    const prev = runs.at(-1);
    if (prev !== undefined && prev.stored === stored) runs[runs.length - 1] = { ...prev, end };
    else runs.push({ start, end, stored });
  }
  return runs;
}

function compressBlock(data: Buffer, dictionary: Buffer | undefined, level: number, last: boolean, slots: Slots): Promise<readonly Buffer[]> {
  const runs = runsOf(data);
  const parts: (Buffer | Promise<Buffer>)[] = [];
  // An empty last block still ends the stream (a final empty block).
  if (runs.length === 0 && last) parts.push(deflateRange(data, dictionary, level, true, slots));
  runs.forEach((run, i) => {
    const final = last && i === runs.length - 1;
    const bytes = data.subarray(run.start, run.end);
    if (run.stored) parts.push(...storedBlocks(bytes, final));
    else parts.push(deflateRange(bytes, run.start === 0 ? dictionary : data.subarray(run.start - WINDOW, run.start), level, final, slots));
  });
  const all = Promise.all(parts);
  // Awaited in order later; until then a failure must not count as unhandled.
  all.catch(() => undefined);
  return all;
}

/**
 * Deflate stored blocks for `bytes`, the data itself passed through uncopied. Every
 * run before starts on a byte boundary (a sync flush or another stored block ends on
 * one), so each header is one byte (BFINAL, BTYPE 00, padding) and LEN, NLEN.
 */
function storedBlocks(bytes: Buffer, final: boolean): Buffer[] {
  const out: Buffer[] = [];
  for (let off = 0; off < bytes.length; off += MAX_STORED) {
    const piece = bytes.subarray(off, off + MAX_STORED);
    const header = Buffer.alloc(5);
    header[0] = final && off + MAX_STORED >= bytes.length ? 1 : 0;
    header.writeUInt16LE(piece.length, 1);
    header.writeUInt16LE(~piece.length & 0xffff, 3);
    out.push(header, piece);
  }
  return out;
}

async function deflateRange(data: Buffer, dictionary: Buffer | undefined, level: number, last: boolean, slots: Slots): Promise<Buffer> {
  await slots.acquire();
  try {
    return await deflateRaw(data, {
      level,
      memLevel: 8,
      // Room for what compressible data usually needs (a fifth to a half of it) in one
      // output buffer: one hand-back to the main thread instead of one per 16 KiB, and
      // no megabyte buffers allocated for a tenth of their size (each counts towards the
      // next garbage collection until it is freed). More output just takes another
      // buffer; the bytes do not depend on it.
      chunkSize: (data.length >> 1) + 65536,
      ...(dictionary !== undefined && dictionary.length > 0 && { dictionary }),
      finishFlush: last ? constants.Z_FINISH : constants.Z_SYNC_FLUSH,
    });
  } finally {
    slots.release();
  }
}

/** At most `size` zlib jobs on the thread pool at once (the rest of the pool stays free for file I/O); waiters go first come, first served. */
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
