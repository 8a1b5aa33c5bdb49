import { crc32 } from 'node:zlib';
import { compressBlock, WINDOW } from './compress-block.ts';

/**
 * A standalone run: the compressed bytes of one large file's content (tar-segments.ts),
 * a function of the content alone, so that a later build can take it from the layer
 * cache instead of compressing the file again, and the layer comes out byte for byte
 * the same either way. It is cut into PIECE-sized blocks, the first primed with
 * nothing, each later one with the 32 KiB before it in the same content.
 */
export type CompressedRun = {
  readonly bytes: Buffer;
  /** CRC-32 of the content, for the layer's gzip trailer. */
  readonly crc: number;
  /** The zlib level and {@link RUN_FORMAT} it was made with: a layer takes it only at the same. */
  readonly level: number;
  readonly format: string;
};

/** An empty stored block with the final bit: ends a deflate stream (a layer, a cache entry), on a byte boundary. */
export const FINAL_EMPTY_BLOCK: Readonly<Buffer> = Buffer.from([0x01, 0x00, 0x00, 0xff, 0xff]);

/** Standalone content is compressed in blocks this large. Part of the format. */
const PIECE = 1024 * 1024;

/**
 * What a run's bytes depend on besides its content and level: the block format (bump
 * the `r` number whenever PIECE or anything in compress-block.ts changes) and zlib
 * itself, whose output may differ between versions.
 */
export const RUN_FORMAT = `r1-zlib${process.versions.zlib ?? 'unknown'}`.replace(/[^A-Za-z0-9.-]/g, '_');

/** The run of `content` at `level`, compressed here (on a reader or layer thread). */
export function compressStandalone(content: Uint8Array, level: number): CompressedRun {
  const parts: Buffer[] = [];
  for (let off = 0; off < content.length; off += PIECE) {
    parts.push(compressBlock(content.subarray(off, off + PIECE), off === 0 ? undefined : content.subarray(off - WINDOW, off), level));
  }
  return { bytes: parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts), crc: crc32(content), level, format: RUN_FORMAT };
}
