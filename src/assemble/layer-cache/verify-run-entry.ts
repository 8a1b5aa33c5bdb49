import { crc32, inflateRawSync } from 'node:zlib';
import { FINAL_EMPTY_BLOCK } from '../layer/standalone-run.ts';

/** A run never needs more than this over its content (5 bytes per stored block, a sync flush per block). */
function slack(size: number): number {
  return (size >> 10) + 4096;
}

/**
 * Whether a layer cache entry is exactly a standalone run of `content` and the final
 * empty block: no larger than a run can be, ending with that block, and decompressing
 * (with nothing before it, so it cannot reach back into the layer) to exactly
 * `content`, every byte of the entry used (an earlier final block would end the layer
 * there). Returns the run's length and the content's CRC-32, or why not.
 */
export function verifyRunEntry(entry: Uint8Array, content: Uint8Array): { readonly runLength: number; readonly crc: number } | { readonly refused: string } {
  const size = content.length;
  const end = entry.length - FINAL_EMPTY_BLOCK.length;
  if (end <= 0 || end > size + slack(size)) return { refused: `${entry.length} bytes cannot be a run of ${size}` };
  if (!Buffer.from(entry.buffer, entry.byteOffset + end, FINAL_EMPTY_BLOCK.length).equals(FINAL_EMPTY_BLOCK)) return { refused: 'does not end with the final empty block' };
  let out: { buffer: Buffer; engine: { bytesWritten: number } };
  try {
    out = inflateRawSync(entry, { info: true, chunkSize: Math.max(64, Math.min(size, 4 << 20)), maxOutputLength: size + 1 }) as unknown as typeof out;
  } catch (e) {
    return { refused: `does not decompress (${(e as Error).message})` };
  }
  if (out.engine.bytesWritten !== entry.length) return { refused: 'ends before its last byte' };
  if (out.buffer.length !== size) return { refused: `decompresses to ${out.buffer.length} bytes, not ${size}` };
  if (!out.buffer.equals(content)) return { refused: 'decompresses to other content' };
  return { runLength: end, crc: crc32(content) };
}
