import { open } from 'node:fs/promises';
import { KilnError } from '../../errors/index.ts';
import type { LayerEntry } from '../fs-entry.ts';
import type { CompressedRun } from './standalone-run.ts';
import { BLOCK, encodeTarHeader, padding } from './tar-header.ts';

/**
 * A layer's uncompressed tar, cut where compression wants it cut:
 * - `context` segments (tar headers, padding, small files, files read from the host)
 *   are compressed primed with the 32 KiB before them, in CHUNK-sized pieces;
 * - a `standalone` segment is the content of one file of STANDALONE_MIN bytes or more,
 *   compressed from nothing but itself, so that its compressed bytes are a function of
 *   the content alone and a later build can take them from the layer cache instead of
 *   compressing the same file again (parallel-gzip.ts).
 * Where the cuts fall is part of the format: moving them changes every layer digest.
 */
export type TarSegment =
  | { readonly kind: 'context'; readonly bytes: Buffer }
  | { readonly kind: 'standalone'; readonly bytes: Uint8Array; readonly compressed?: CompressedRun };

/** Output is packed in chunks this large; each context chunk is one compressed block. Part of the format. */
export const CHUNK = 1024 * 1024;

/**
 * Files from this size up are standalone segments. Below it, the cost of a block of
 * its own (a compressor call, a cache entry, no priming from the files before) is not
 * worth what it saves; above it lie nearly all of an image's bytes (binaries, shared
 * libraries, data). Part of the format.
 */
export const STANDALONE_MIN = 64 * 1024;

/**
 * The tar of `entries` (already normalised and sorted) as segments, every mtime `mtime`.
 * A full context chunk is handed out once and never touched again; `pool` holds chunks
 * the consumer is done with, filled again before new ones are allocated. Standalone
 * segments are views of the entries' own bytes, never copied.
 */
export async function* tarSegments(entries: readonly LayerEntry[], mtime: number, pool: Buffer[] = []): AsyncGenerator<TarSegment> {
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
      case 'file': {
        const content = e.content;
        if (content.kind === 'host') {
          yield* hostFile(out, content.path, e.path, base);
          break;
        }
        const data = content.data;
        out.put(encodeTarHeader({ ...base, type: 'file', size: data.length }));
        if (data.length >= STANDALONE_MIN) {
          yield* out.flush();
          yield { kind: 'standalone', bytes: data, ...(content.compressed !== undefined && { compressed: content.compressed }) };
        } else {
          out.put(data);
        }
        out.zeros(padding(data.length));
        break;
      }
    }
    yield* out.full();
  }
  out.zeros(2 * BLOCK); // end of archive
  yield* out.flush();
}

async function* hostFile(
  out: ChunkBuffer,
  hostPath: string,
  entryPath: string,
  base: Omit<Parameters<typeof encodeTarHeader>[0], 'type' | 'size'>,
): AsyncGenerator<TarSegment> {
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
      yield* out.full();
    }
    out.zeros(padding(size));
  } finally {
    await fh.close();
  }
}

/** Packs small writes into CHUNK-sized buffers. */
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

  /** The full chunks, each handed out once. */
  *full(): Generator<TarSegment> {
    while (this.#full.length > 0) {
      const b = this.#full.shift();
      if (b) yield { kind: 'context', bytes: b };
    }
  }

  /**
   * Everything written so far, the partly filled chunk too. That one is copied out (it
   * is small: the headers and small files between two standalone files), so that its
   * buffer goes on being filled.
   */
  *flush(): Generator<TarSegment> {
    yield* this.full();
    if (this.#pos > 0) {
      yield { kind: 'context', bytes: Buffer.from(this.#buf.subarray(0, this.#pos)) };
      this.#pos = 0;
    }
  }
}
