import { constants, deflateRawSync } from 'node:zlib';
import { looksIncompressible } from './incompressible.ts';

/** deflate's window: a block is primed with at most this much of what came before it. */
export const WINDOW = 32 * 1024;
/** The unit judged compressible or not; at least WINDOW, so a run inside a block finds its dictionary in that block. */
const SEGMENT = 64 * 1024;
/** Largest stored block deflate allows (LEN is 16 bits). */
const MAX_STORED = 0xffff;

/**
 * One block of a layer (parallel-gzip.ts) as raw deflate that ends on a byte boundary
 * and without the final bit, so the next block can simply follow: each 64 KiB segment
 * that looks like already-compressed or random data ({@link looksIncompressible}) as
 * stored blocks, the rest deflated at `level` (primed with `dictionary`, the bytes just
 * before the block, or with the 32 KiB before the run inside it) and sync-flushed.
 *
 * zlib searches random data for matches longer than it takes over text (about 25 ms per
 * MiB against 8-15 at levels 1-4) and then stores it anyway; storing it directly gives
 * the same size. The deflate in umoci's pgzip (klauspost/compress), zstd and lz4 also
 * skip quickly over data that does not compress.
 *
 * The bytes depend only on `data`, `dictionary`, `level` and zlib's version. Runs on a
 * layer thread (layer-worker.ts), synchronously: the zlib state and output buffers it
 * allocates are that thread's garbage, not the main thread's.
 */
export function compressBlock(data: Uint8Array, dictionary: Uint8Array | undefined, level: number): Buffer {
  const parts: Buffer[] = [];
  for (const run of runsOf(data)) {
    const bytes = data.subarray(run.start, run.end);
    if (run.stored) parts.push(...storedBlocks(bytes));
    else parts.push(deflateRun(bytes, run.start === 0 ? dictionary : data.subarray(run.start - WINDOW, run.start), level));
  }
  return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
}

type Run = { readonly start: number; readonly end: number; readonly stored: boolean };

/** One block as runs of segments to deflate and segments to store, in order. */
function runsOf(data: Uint8Array): Run[] {
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

/**
 * Deflate stored blocks for `bytes`. Every run before starts on a byte boundary (a sync
 * flush or another stored block ends on one), so each header is one byte (BFINAL 0,
 * BTYPE 00, padding) and LEN, NLEN.
 */
function storedBlocks(bytes: Uint8Array): Buffer[] {
  const out: Buffer[] = [];
  for (let off = 0; off < bytes.length; off += MAX_STORED) {
    const piece = bytes.subarray(off, off + MAX_STORED);
    const header = Buffer.alloc(5);
    header.writeUInt16LE(piece.length, 1);
    header.writeUInt16LE(~piece.length & 0xffff, 3);
    out.push(header, Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength));
  }
  return out;
}

function deflateRun(data: Uint8Array, dictionary: Uint8Array | undefined, level: number): Buffer {
  return deflateRawSync(data, {
    level,
    memLevel: 8,
    // room for what compressible data usually needs (a fifth to a half of it) in one
    // output buffer; more output just takes another buffer, the bytes do not depend on it
    chunkSize: (data.length >> 1) + 65536,
    ...(dictionary !== undefined && dictionary.length > 0 && { dictionary }),
    finishFlush: constants.Z_SYNC_FLUSH,
  });
}
