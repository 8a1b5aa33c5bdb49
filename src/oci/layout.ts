import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { access, mkdir, readFile, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { KilnError, describeZodIssues } from '../errors/index.ts';
import { writeFileAtomic, writeStreamAtomic } from '../files/index.ts';
import { canonicalJsonBytes } from './canonical-json.ts';
import { HashingStream, VerifyingStream, digestAlgorithm, digestHex, digestOf, verifyContent, type Digest } from './digest.ts';
import { MediaType } from './media-types.ts';
import { ImageIndexSchema, type Descriptor, type ImageIndex } from './schemas.ts';

const REF_NAME = 'org.opencontainers.image.ref.name';
const LAYOUT_FILE = canonicalJsonBytes({ imageLayoutVersion: '1.0.0' });

export type BlobInfo = { readonly digest: Digest; readonly size: number };

/**
 * An OCI image layout on disk (`oci-layout`, `index.json`, `blobs/<alg>/<hex>`).
 * Blobs are written to a temp file and renamed into place after their digest checks
 * out; every read is verified against its digest. Tags are `ref.name` annotations in
 * `index.json`; referrers are untagged entries whose manifest names a subject.
 */
export class OciLayout {
  readonly dir: string;
  #indexLock: Promise<void> = Promise.resolve();

  private constructor(dir: string) {
    this.dir = dir;
  }

  /** Opens a layout, creating an empty one when `create` is set and none is there. */
  static async open(dir: string, options: { readonly create?: boolean } = {}): Promise<OciLayout> {
    const layout = new OciLayout(dir);
    const marker = join(dir, 'oci-layout');
    if (await exists(marker)) {
      const text = await readFile(marker, 'utf8');
      let version: unknown;
      try {
        version = (JSON.parse(text) as { imageLayoutVersion?: unknown }).imageLayoutVersion;
      } catch (cause) {
        throw new KilnError('LAYOUT_INVALID', `${marker}: not valid JSON`, { cause });
      }
      if (version !== '1.0.0') {
        throw new KilnError('LAYOUT_INVALID', `${marker}: expected imageLayoutVersion "1.0.0", found ${JSON.stringify(version)}`);
      }
      return layout;
    }
    if (!options.create) throw new KilnError('NOT_FOUND', `${dir}: no OCI image layout (oci-layout is missing)`);
    await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
    await writeFileAtomic(marker, LAYOUT_FILE);
    if (!(await exists(join(dir, 'index.json')))) {
      await layout.#writeIndex({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [] });
    }
    return layout;
  }

  blobPath(digest: Digest): string {
    return join(this.dir, 'blobs', digestAlgorithm(digest), digestHex(digest));
  }

  async hasBlob(digest: Digest): Promise<boolean> {
    return exists(this.blobPath(digest));
  }

  /** Size of a stored blob, or undefined when it is absent. */
  async blobSize(digest: Digest): Promise<number | undefined> {
    try {
      return (await stat(this.blobPath(digest))).size;
    } catch {
      return undefined;
    }
  }

  /**
   * Stores a blob. With `expected`, the content must match it or nothing is stored;
   * without, the digest is computed (sha256).
   */
  async putBlob(source: Readable | Uint8Array, expected?: BlobInfo): Promise<BlobInfo> {
    if (expected && (await this.hasBlob(expected.digest))) {
      if (!(source instanceof Uint8Array)) source.resume();
      return expected;
    }
    if (source instanceof Uint8Array) {
      if (expected) verifyContent(source, expected.digest, expected.size, `blob written to ${this.dir}`);
      const info: BlobInfo = { digest: expected?.digest ?? digestOf(source), size: source.length };
      await writeFileAtomic(this.blobPath(info.digest), source);
      return info;
    }
    if (expected) {
      await writeStreamAtomic(this.blobPath(expected.digest), source, [
        new VerifyingStream(expected.digest, expected.size, `copy into ${this.dir}`),
      ]);
      return expected;
    }
    // Unknown digest: hash into a staging name, then move under the digest.
    const hashing = new HashingStream('sha256');
    const staging = join(this.dir, 'blobs', 'sha256', `.staging-${randomUUID()}`);
    await writeStreamAtomic(staging, source, [hashing]);
    const info: BlobInfo = { digest: hashing.digest, size: hashing.size };
    await rename(staging, this.blobPath(info.digest));
    return info;
  }

  /** A stream of the blob that fails at its end unless digest (and size) check out. */
  openBlob(digest: Digest, size?: number): Readable {
    const path = this.blobPath(digest);
    const verify = new VerifyingStream(digest, size, path);
    const file = createReadStream(path);
    file.on('error', (e: NodeJS.ErrnoException) =>
      verify.destroy(
        e.code === 'ENOENT' ? new KilnError('NOT_FOUND', `blob ${digest} is not in ${this.dir}`, { cause: e }) : e,
      ),
    );
    return file.pipe(verify);
  }

  /** Reads a small blob (a manifest or config) whole, verified. */
  async readBlob(digest: Digest, size?: number): Promise<Buffer> {
    let data: Buffer;
    try {
      data = await readFile(this.blobPath(digest));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new KilnError('NOT_FOUND', `blob ${digest} is not in ${this.dir}`, { cause: e });
      }
      throw e;
    }
    verifyContent(data, digest, size, this.blobPath(digest));
    return data;
  }

  async readIndex(): Promise<ImageIndex> {
    const path = join(this.dir, 'index.json');
    let json: unknown;
    try {
      json = JSON.parse(await readFile(path, 'utf8'));
    } catch (cause) {
      throw new KilnError('LAYOUT_INVALID', `${path}: cannot read it as JSON`, { cause });
    }
    const r = ImageIndexSchema.safeParse(json);
    if (!r.success) throw new KilnError('LAYOUT_INVALID', `${path}: ${describeZodIssues(r.error)}`);
    return r.data;
  }

  /** Tags in index.json, sorted. */
  async tags(): Promise<string[]> {
    const index = await this.readIndex();
    return index.manifests.flatMap((m) => (m.annotations?.[REF_NAME] ? [m.annotations[REF_NAME]] : [])).sort();
  }

  /**
   * Records a manifest in index.json: with a tag, the tag moves to it; without, it is
   * kept as an untagged entry (so that referrers and children stay reachable).
   */
  async addManifest(descriptor: Descriptor, tag?: string): Promise<void> {
    await this.#withIndexLock(async () => {
      const index = await this.readIndex();
      const manifests = index.manifests.filter((m) => {
        const name = m.annotations?.[REF_NAME];
        if (tag !== undefined) return name !== tag;
        return !(name === undefined && m.digest === descriptor.digest);
      });
      const annotations = { ...descriptor.annotations, ...(tag !== undefined && { [REF_NAME]: tag }) };
      const entry: Descriptor = { ...descriptor };
      delete entry.annotations;
      manifests.push(Object.keys(annotations).length > 0 ? { ...entry, annotations } : entry);
      await this.#writeIndex({ ...index, manifests });
    });
  }

  /** The descriptor a tag or digest names. */
  async resolve(target: string): Promise<Descriptor> {
    const index = await this.readIndex();
    const found = target.includes(':')
      ? index.manifests.find((m) => m.digest === target)
      : index.manifests.find((m) => m.annotations?.[REF_NAME] === target);
    if (found) return found;
    if (target.includes(':')) {
      const size = await this.blobSize(target as Digest);
      if (size !== undefined) {
        const bytes = await this.readBlob(target as Digest, size);
        const mediaType = (JSON.parse(bytes.toString('utf8')) as { mediaType?: string }).mediaType ?? MediaType.ociManifest;
        return { mediaType, digest: target as Digest, size };
      }
    }
    throw new KilnError('NOT_FOUND', `${target} is not in the OCI layout ${this.dir}`);
  }

  /** Manifests in index.json whose `subject` is `digest`, optionally of one artifactType. */
  async referrers(digest: Digest, artifactType?: string): Promise<Descriptor[]> {
    const index = await this.readIndex();
    const out: Descriptor[] = [];
    for (const m of index.manifests) {
      if (m.digest === digest) continue;
      const bytes = await this.readBlob(m.digest, m.size);
      const doc = JSON.parse(bytes.toString('utf8')) as {
        subject?: { digest?: string };
        artifactType?: string;
        config?: { mediaType?: string };
        annotations?: Record<string, string>;
      };
      if (doc.subject?.digest !== digest) continue;
      const type = doc.artifactType ?? doc.config?.mediaType;
      if (artifactType !== undefined && type !== artifactType) continue;
      out.push({
        mediaType: m.mediaType,
        digest: m.digest,
        size: m.size,
        ...(type !== undefined && { artifactType: type }),
        ...(doc.annotations !== undefined && { annotations: doc.annotations }),
      });
    }
    return out.sort((a, b) => (a.digest < b.digest ? -1 : 1));
  }

  async #writeIndex(index: ImageIndex): Promise<void> {
    await writeFileAtomic(join(this.dir, 'index.json'), canonicalJsonBytes(index));
  }

  async #withIndexLock(fn: () => Promise<void>): Promise<void> {
    const run = this.#indexLock.then(fn);
    this.#indexLock = run.catch(() => undefined);
    await run;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
