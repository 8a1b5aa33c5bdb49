import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { MediaType, type BlobInfo, type Descriptor, type Digest } from '../../oci/index.ts';
import { normalizeEntries, type FsEntry } from '../fs-entry.ts';
import { parallelGzip } from './parallel-gzip.ts';
import { CHUNK, tarSegments } from './tar-segments.ts';

/** Where blobs go: an OciLayout, or anything that stores a stream atomically and reports its digest. */
export type BlobSink = {
  putBlob(source: Readable | Uint8Array, expected?: BlobInfo): Promise<BlobInfo>;
};

export type LayerOptions = {
  /** Every mtime in the layer (seconds since 1970). */
  readonly sourceDateEpoch: number;
  /** zlib level, {@link DEFAULT_GZIP_LEVEL} unless set. */
  readonly gzipLevel?: number;
  /** Blocks compressed at once (default: CPUs, within the thread pool); never changes the bytes. */
  readonly gzipConcurrency?: number;
};

export type LayerInfo = {
  /** The gzip blob as stored: media type, digest and size for the manifest. */
  readonly descriptor: Descriptor;
  /** sha256 of the uncompressed tar, for the image config's rootfs.diff_ids. */
  readonly diffId: Digest;
  readonly uncompressedSize: number;
  /** Entries written, including parent directories that were added. */
  readonly entries: number;
};

/**
 * The zlib level layers are compressed at unless told otherwise. 3 is the fastest level
 * whose layers are no larger than umoci's (klauspost pgzip at its default) on the
 * assemble benchmark: there 1 is 3% and 2 is 1% larger than umoci's layer, 3 is 1%
 * smaller, and 6 (kiln's level until now) 4.5% smaller for twice 3's CPU time. zlib's
 * 1-3 use its fast matcher, 4-9 the lazy one; on real binaries 4 is ~20% slower than 3
 * for ~3% less. The level is part of the output, like the segment cuts (tar-segments.ts): changing it changes
 * every layer digest, and a build at another level (`--compression-level`) gives
 * another digest for the same inputs; nothing records the level but the bytes.
 */
export const DEFAULT_GZIP_LEVEL = 3;

/**
 * Writes `entries` as one gzip-compressed tar layer into `sink`, streaming: the tar is
 * cut into segments (tar-segments.ts), hashed (diff_id) and compressed on the way (1 MiB
 * blocks on several threads; a large file's run taken as its entry brings it), never
 * held whole. The same entries give the same bytes, however their runs were made:
 * sorted order, fixed mtime, no host metadata, fixed gzip level, segment cuts, block
 * size and header.
 */
export async function writeLayer(entries: readonly FsEntry[], sink: BlobSink, options: LayerOptions): Promise<LayerInfo> {
  const normalized = normalizeEntries(entries);
  const diff = createHash('sha256');
  let uncompressedSize = 0;
  // chunks the compressor is done with are filled again: a layer's worth of fresh 1 MiB
  // buffers per build is what drove most of the garbage collections
  const pool: Buffer[] = [];
  const tar = (async function* () {
    for await (const segment of tarSegments(normalized, options.sourceDateEpoch, pool)) {
      diff.update(segment.bytes);
      uncompressedSize += segment.bytes.length;
      yield segment;
    }
  })();
  const gzip = parallelGzip(tar, {
    level: options.gzipLevel ?? DEFAULT_GZIP_LEVEL,
    ...(options.gzipConcurrency !== undefined && { concurrency: options.gzipConcurrency }),
    release: (chunk) => {
      if (chunk.length === CHUNK && pool.length < 16) pool.push(chunk);
    },
  });
  const info = await sink.putBlob(Readable.from(gzip, { objectMode: false }));
  return {
    descriptor: { mediaType: MediaType.ociLayerGzip, digest: info.digest, size: info.size },
    diffId: `sha256:${diff.digest('hex')}` as Digest,
    uncompressedSize,
    entries: normalized.length,
  };
}

/** The uncompressed tar as a stream (for tests and tools that want it as is). */
export function tarStream(entries: readonly FsEntry[], sourceDateEpoch: number): Readable {
  return Readable.from(
    (async function* () {
      for await (const segment of tarSegments(normalizeEntries(entries), sourceDateEpoch)) yield segment.bytes;
    })(),
  );
}

