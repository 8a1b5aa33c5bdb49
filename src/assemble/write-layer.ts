import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { KilnError } from '../errors/index.ts';
import { MediaType, type BlobInfo, type Descriptor, type Digest } from '../oci/index.ts';
import { normalizeEntries, type FsEntry, type LayerEntry } from './fs-entry.ts';
import { parallelGzip } from './parallel-gzip.ts';
import { BLOCK, encodeTarHeader, padding } from './tar-header.ts';

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
 * for ~3% less. The level is part of the output, like CHUNK below: changing it changes
 * every layer digest, and a build at another level (`--compression-level`) gives
 * another digest for the same inputs; nothing records the level but the bytes.
 */
export const DEFAULT_GZIP_LEVEL = 3;

// Output is built in chunks this large: big enough that per-chunk costs (hash update,
// zlib hand-off to the thread pool, stream bookkeeping) vanish next to the bytes. Each
// chunk is also one gzip block (parallel-gzip.ts), so this size is part of the format:
// changing it changes every layer digest.
const CHUNK = 1024 * 1024;

/**
 * Writes `entries` as one gzip-compressed tar layer into `sink`, streaming: files are
 * read in chunks, tarred, hashed (diff_id) and compressed on the way (1 MiB blocks on
 * several threads), never held whole. The same entries give the same bytes: sorted
 * order, fixed mtime, no host metadata, fixed gzip level, block size and header.
 */
export async function writeLayer(entries: readonly FsEntry[], sink: BlobSink, options: LayerOptions): Promise<LayerInfo> {
  const normalized = normalizeEntries(entries);
  const diff = createHash('sha256');
  let uncompressedSize = 0;
  // chunks the compressor is done with are filled again: a layer's worth of fresh 1 MiB
  // buffers per build is what drove most of the garbage collections
  const pool: Buffer[] = [];
  const tar = (async function* () {
    for await (const chunk of tarChunks(normalized, options.sourceDateEpoch, pool)) {
      diff.update(chunk);
      uncompressedSize += chunk.length;
      yield chunk;
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
  return Readable.from(tarChunks(normalizeEntries(entries), sourceDateEpoch));
}

async function* tarChunks(entries: readonly LayerEntry[], mtime: number, pool: Buffer[] = []): AsyncGenerator<Buffer> {
  const out = new ChunkBuffer(pool);
  for (const e of entries) {
    const base = { name: e.path, mode: e.mode, uid: e.uid, gid: e.gid, mtime, ...(e.xattrs && { xattrs: e.xattrs }) };
    switch (e.kind) {
      case 'directory':
        out.put(encodeTarHeader({ ...base, type: 'directory', size: 0 }));
        break;
      case 'symlink':
        out.put(encodeTarHeader({ ...base, type: 'symlink', size: 0, linkname: e.target }));
        break;
      case 'hardlink':
        out.put(encodeTarHeader({ ...base, type: 'hardlink', size: 0, linkname: e.target }));
        break;
      case 'file':
        if (e.content.kind === 'bytes') {
          out.put(encodeTarHeader({ ...base, type: 'file', size: e.content.data.length }));
          out.put(e.content.data);
          out.zeros(padding(e.content.data.length));
        } else {
          yield* hostFile(out, e.content.path, e.path, base);
        }
        break;
    }
    yield* out.drain();
  }
  out.zeros(2 * BLOCK); // end of archive
  yield* out.drain();
  const last = out.rest();
  if (last) yield last;
}

async function* hostFile(
  out: ChunkBuffer,
  hostPath: string,
  entryPath: string,
  base: Omit<Parameters<typeof encodeTarHeader>[0], 'type' | 'size'>,
): AsyncGenerator<Buffer> {
  let fh;
  try {
    fh = await open(hostPath, 'r');
  } catch (cause) {
    throw new KilnError('IO', `layer entry ${JSON.stringify(entryPath)}: cannot open ${hostPath} (${(cause as NodeJS.ErrnoException).code ?? String(cause)})`, { cause });
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new KilnError('INPUT_INVALID', `layer entry ${JSON.stringify(entryPath)}: ${hostPath} is not a regular file`);
    const size = st.size;
    out.put(encodeTarHeader({ ...base, type: 'file', size }));
    let left = size;
    while (left > 0) {
      const { buffer, offset, length } = out.space(left);
      const { bytesRead } = await fh.read(buffer, offset, length, null);
      if (bytesRead === 0) {
        throw new KilnError('IO', `layer entry ${JSON.stringify(entryPath)}: ${hostPath} shrank while it was read (expected ${size} bytes)`);
      }
      out.advance(bytesRead);
      left -= bytesRead;
      yield* out.drain();
    }
    out.zeros(padding(size));
  } finally {
    await fh.close();
  }
}

/** Packs small writes into CHUNK-sized buffers; a full buffer is handed out once and never touched again. */
class ChunkBuffer {
  readonly #pool: Buffer[];
  #buf: Buffer;
  #pos = 0;
  #full: Buffer[] = [];

  /** `pool`: full chunks handed back by the consumer, reused before allocating. */
  constructor(pool: Buffer[]) {
    this.#pool = pool;
    this.#buf = this.#fresh();
  }

  #fresh(): Buffer {
    return this.#pool.pop() ?? Buffer.allocUnsafe(CHUNK);
  }

  put(bytes: Uint8Array): void {
    let off = 0;
    while (off < bytes.length) {
      const n = Math.min(bytes.length - off, CHUNK - this.#pos);
      this.#buf.set(bytes.subarray(off, off + n), this.#pos);
      this.advance(n);
      off += n;
    }
  }

  zeros(n: number): void {
    let left = n;
    while (left > 0) {
      const k = Math.min(left, CHUNK - this.#pos);
      this.#buf.fill(0, this.#pos, this.#pos + k);
      this.advance(k);
      left -= k;
    }
  }

  /** Room to read up to `want` bytes straight into the current buffer. */
  space(want: number): { buffer: Buffer; offset: number; length: number } {
    return { buffer: this.#buf, offset: this.#pos, length: Math.min(want, CHUNK - this.#pos) };
  }

  advance(n: number): void {
    this.#pos += n;
    if (this.#pos === CHUNK) {
      this.#full.push(this.#buf);
      this.#buf = this.#fresh();
      this.#pos = 0;
    }
  }

  *drain(): Generator<Buffer> {
    while (this.#full.length > 0) {
      const b = this.#full.shift();
      if (b) yield b;
    }
  }

  rest(): Buffer | undefined {
    return this.#pos > 0 ? this.#buf.subarray(0, this.#pos) : undefined;
  }
}
