import { createReadStream, createWriteStream } from 'node:fs';
import { chmod, link, mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { KilnError } from '../../errors/index.ts';
import { tempPathFor, writeFileAtomic } from '../../files/index.ts';
import { type Digest, HashingStream, VerifyingStream, digestAlgorithm, digestHex } from '../../oci/index.ts';
import { type SourceRecord, SourceRecordSchema } from './source-record.ts';

/** A blob in the cache: both digests, so a recipe may pin either. */
export type SourceEntry = {
  readonly sha256: Digest;
  readonly sha512: Digest;
  readonly size: number;
  /** the blob's path (under sha256/) */
  readonly path: string;
  readonly record: SourceRecord;
};

export type AddSourceOptions = {
  /** refuse the content unless it hashes to this (sha256 or sha512), or to each of these */
  readonly expected?: Digest | readonly Digest[];
  /** a file name to remember it by (e.g. hello-2.12.tar.gz) */
  readonly name?: string;
  /** where it came from, remembered in the record */
  readonly uri?: string;
  /** how to name the origin in an error message (a redacted URL, a path) */
  readonly origin?: string;
};

export type RecordAdditions = {
  readonly names?: readonly string[];
  readonly uris?: readonly string[];
  readonly signatures?: readonly Digest[];
};

/**
 * The content-addressed store of source archives (and their detached signatures) in
 * the state directory:
 *
 *   <root>/sha256/<hex>        the bytes, read-only
 *   <root>/sha512/<hex>        a hard link to the same bytes
 *   <root>/sha{256,512}/<hex>.json   the record (names, URIs, signatures)
 *   <root>/tmp/                downloads in progress
 *
 * The layout doubles as a mirror layout: another machine's `<state>/sources` served
 * over HTTP (or mounted) works as a `mirrors:` entry, looked up by digest.
 * Content enters only through `add`, which hashes while writing to a temp file and
 * renames it into place only once it checks out, so an entry is never partial and a
 * wrong download never lands.
 */
export class SourceCache {
  readonly root: string;

  constructor(root: string) {
    this.root = root;
  }

  /** The cache that belongs to a kiln state directory. */
  static forState(stateDir: string): SourceCache {
    return new SourceCache(join(stateDir, 'sources'));
  }

  path(digest: Digest): string {
    return join(this.root, digestAlgorithm(digest), digestHex(digest));
  }

  async has(digest: Digest): Promise<boolean> {
    try {
      return (await stat(this.path(digest))).isFile();
    } catch {
      return false;
    }
  }

  /**
   * A read of the blob that fails at its end unless the bytes still hash to `digest`
   * (a cache on disk can rot or be tampered with). Throws NOT_FOUND when absent.
   */
  open(digest: Digest): Readable {
    const path = this.path(digest);
    const verify = new VerifyingStream(digest, undefined, `source cache ${path}`);
    const file = createReadStream(path);
    file.on('error', (e: NodeJS.ErrnoException) =>
      verify.destroy(e.code === 'ENOENT' ? new KilnError('NOT_FOUND', `source ${digest} is not in the cache ${this.root}`, { cause: e }) : e),
    );
    return file.pipe(verify);
  }

  /** Re-hashes the blob; throws DIGEST_MISMATCH when it no longer matches its name. */
  async verify(digest: Digest): Promise<void> {
    await pipeline(this.open(digest), drain);
  }

  /** The entry for a digest that is present (its record rebuilt if missing), else undefined. */
  async entry(digest: Digest): Promise<SourceEntry | undefined> {
    if (!(await this.has(digest))) return undefined;
    const record = (await this.record(digest)) ?? (await this.annotate(digest, {}));
    return {
      sha256: record.sha256 as Digest,
      sha512: record.sha512 as Digest,
      size: record.size,
      path: this.path(record.sha256 as Digest),
      record,
    };
  }

  async record(digest: Digest): Promise<SourceRecord | undefined> {
    let text: string;
    try {
      text = await readFile(`${this.path(digest)}.json`, 'utf8');
    } catch {
      return undefined;
    }
    const parsed = SourceRecordSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  }

  /**
   * Adds content from a stream, a file path or bytes. The content is hashed (sha256 and
   * sha512) while it is written to a temp file; when `expected` is given and does not
   * match, the temp file is removed and DIGEST_MISMATCH names expected, found and
   * origin. Adding content that is already present only merges the record.
   */
  async add(source: Readable | string | Uint8Array, options: AddSourceOptions = {}): Promise<SourceEntry> {
    const tmpDir = join(this.root, 'tmp');
    await mkdir(tmpDir, { recursive: true });
    const tmp = tempPathFor(join(tmpDir, 'blob'));
    const h256 = new HashingStream('sha256');
    const h512 = new HashingStream('sha512');
    const origin = options.origin ?? (typeof source === 'string' ? source : options.uri ?? 'a stream');
    try {
      const input = typeof source === 'string' ? createReadStream(source) : source instanceof Uint8Array ? Readable.from([source]) : source;
      await pipeline(input, h256, h512, createWriteStream(tmp, { flags: 'wx', mode: 0o444 }));
      const fh = await open(tmp, 'r');
      try {
        await fh.sync();
      } finally {
        await fh.close();
      }
      const expected: readonly Digest[] = options.expected === undefined ? [] : typeof options.expected === 'string' ? [options.expected] : options.expected;
      for (const want of expected) {
        const found = digestAlgorithm(want) === 'sha512' ? h512.digest : h256.digest;
        if (found !== want) {
          throw new KilnError('DIGEST_MISMATCH', `source from ${origin}: expected ${want}, found ${found} (${h256.size} bytes); nothing was kept`);
        }
      }
      const final = this.path(h256.digest);
      await mkdir(join(this.root, 'sha256'), { recursive: true });
      await mkdir(join(this.root, 'sha512'), { recursive: true });
      if (await this.has(h256.digest)) await rm(tmp, { force: true });
      else await rename(tmp, final);
      await linkOrCopy(final, this.path(h512.digest));
    } finally {
      await rm(tmp, { force: true });
    }
    const record = await this.annotate(h256.digest, {
      names: options.name !== undefined ? [options.name] : typeof source === 'string' ? [basename(source)] : [],
      uris: options.uri !== undefined ? [options.uri] : [],
    }, { sha256: h256.digest, sha512: h512.digest, size: h256.size });
    return { sha256: h256.digest, sha512: h512.digest, size: h256.size, path: this.path(h256.digest), record };
  }

  /** Merges names, URIs and signatures into an entry's record (both digests' copies). */
  async annotate(digest: Digest, add: RecordAdditions, known?: BlobFacts): Promise<SourceRecord> {
    const old = await this.record(digest);
    const facts: BlobFacts = old ?? known ?? (await this.#describe(digest));
    const record: SourceRecord = {
      sha256: facts.sha256,
      sha512: facts.sha512,
      size: facts.size,
      names: merge(old?.names, add.names),
      uris: merge(old?.uris, add.uris),
      signatures: merge(old?.signatures, add.signatures),
    };
    if (old !== undefined && JSON.stringify(old) === JSON.stringify(record)) return record;
    const json = `${JSON.stringify(record, null, 2)}\n`;
    await writeFileAtomic(`${this.path(facts.sha256 as Digest)}.json`, json);
    await writeFileAtomic(`${this.path(facts.sha512 as Digest)}.json`, json);
    return record;
  }

  /** Recomputes both digests of a blob whose record is missing (e.g. after a crash). */
  async #describe(digest: Digest): Promise<BlobFacts> {
    const h256 = new HashingStream('sha256');
    const h512 = new HashingStream('sha512');
    await pipeline(this.open(digest), h256, h512, drain);
    return { sha256: h256.digest, sha512: h512.digest, size: h256.size };
  }
}

type BlobFacts = { readonly sha256: string; readonly sha512: string; readonly size: number };

async function drain(chunks: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of chunks);
}

function merge<T extends string>(a: readonly T[] | undefined, b: readonly T[] | undefined): T[] {
  return [...new Set([...(a ?? []), ...(b ?? [])])].sort();
}

/** The second name for a blob; a copy where the filesystem refuses hard links. */
async function linkOrCopy(from: string, to: string): Promise<void> {
  try {
    await link(from, to);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return;
    if (code !== 'EPERM' && code !== 'EXDEV' && code !== 'EMLINK') throw e;
    const tmp = tempPathFor(to);
    await pipeline(createReadStream(from), createWriteStream(tmp, { flags: 'wx', mode: 0o444 }));
    await chmod(tmp, 0o444);
    await rename(tmp, to);
  }
}
