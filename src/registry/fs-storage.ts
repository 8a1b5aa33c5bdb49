import { createReadStream } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Readable } from 'node:stream';
import { tempPathFor, writeFileAtomic } from '../files/index.ts';
import { DescriptorSchema, isDigest, type Descriptor, type Digest } from '../oci/index.ts';
import { FsPaths, isTempName } from './fs-paths.ts';
import { FsUploads } from './fs-uploads.ts';
import { Lru } from './lru.ts';
import type {
  AppendOptions,
  BlobStat,
  ByteRange,
  ManifestToStore,
  RegistryStorage,
  StoredManifest,
  UploadState,
} from './storage.ts';

export type FsStorageOptions = {
  /**
   * fsync blobs and records before they become visible (default true), so that even a
   * power cut never exposes a blob whose bytes did not reach the disk. A killed process
   * needs no fsync: renames are atomic either way.
   */
  readonly durable?: boolean;
  /** Bytes of manifest content kept in memory (default 64 MiB). */
  readonly manifestCacheBytes?: number;
};

/** Blob reads in large slices: fewer syscalls and event-loop turns per MiB served. */
const READ_CHUNK = 512 * 1024;

/** The filesystem driver of {@link RegistryStorage}; the layout is described in fs-paths.ts. */
export class FsRegistryStorage implements RegistryStorage {
  readonly paths: FsPaths;
  readonly #durable: boolean;
  readonly #uploads: FsUploads;
  readonly #manifests: Lru<Digest, Buffer>;
  /** `repo@digest` → media type; a revision record never changes while it exists. */
  readonly #revisions = new Lru<string, string>(20_000);

  constructor(root: string, options: FsStorageOptions = {}) {
    this.paths = new FsPaths(root);
    this.#durable = options.durable ?? true;
    this.#uploads = new FsUploads(this.paths, this.#durable);
    this.#manifests = new Lru(10_000, options.manifestCacheBytes ?? 64 * 1024 * 1024);
  }

  async statBlob(repo: string, digest: Digest): Promise<BlobStat | undefined> {
    if (!(await exists(this.paths.layerLink(repo, digest)))) return undefined;
    const st = await stat(this.paths.blob(digest)).catch(() => undefined);
    return st?.isFile() ? { digest, size: st.size } : undefined;
  }

  readBlob(digest: Digest, range?: ByteRange): Readable {
    return createReadStream(this.paths.blob(digest), { highWaterMark: READ_CHUNK, ...range });
  }

  async linkBlob(repo: string, digest: Digest): Promise<boolean> {
    if (!(await exists(this.paths.blob(digest)))) return false;
    await this.#writeLink(this.paths.layerLink(repo, digest));
    return true;
  }

  async unlinkBlob(repo: string, digest: Digest): Promise<boolean> {
    return removed(this.paths.layerLink(repo, digest));
  }

  startUpload(repo: string): Promise<UploadState> {
    return this.#uploads.start(repo);
  }

  uploadState(repo: string, uuid: string): Promise<UploadState | undefined> {
    return Promise.resolve(this.#uploads.state(repo, uuid));
  }

  appendUpload(repo: string, uuid: string, body: Readable, options: AppendOptions): Promise<UploadState> {
    return this.#uploads.append(repo, uuid, body, options);
  }

  async finishUpload(repo: string, uuid: string, digest: Digest): Promise<BlobStat> {
    const blob = await this.#uploads.finish(repo, uuid, digest, this.paths.blob(digest));
    await this.#writeLink(this.paths.layerLink(repo, digest));
    return blob;
  }

  cancelUpload(repo: string, uuid: string): Promise<boolean> {
    return this.#uploads.cancel(repo, uuid);
  }

  async getManifest(repo: string, reference: string): Promise<StoredManifest | undefined> {
    const digest = isDigest(reference) ? reference : await this.#resolveTag(repo, reference);
    if (digest === undefined) return undefined;
    const mediaType = await this.#revision(repo, digest);
    if (mediaType === undefined) return undefined;
    let bytes = this.#manifests.get(digest);
    if (bytes === undefined) {
      bytes = await readFile(this.paths.blob(digest)).catch(() => undefined);
      if (bytes === undefined) return undefined;
      this.#manifests.set(digest, bytes, bytes.length);
    }
    return { digest, mediaType, bytes };
  }

  async hasManifest(repo: string, digest: Digest): Promise<boolean> {
    return (await this.#revision(repo, digest)) !== undefined;
  }

  async putManifest(repo: string, m: ManifestToStore): Promise<void> {
    // content first, then the records that make it visible: a crash in between leaves
    // an unreferenced blob for gc, never a record pointing at nothing
    const blob = this.paths.blob(m.digest);
    if (!(await exists(blob))) await this.#write(blob, m.bytes);
    this.#manifests.set(m.digest, m.bytes, m.bytes.length);
    await this.#write(this.paths.revision(repo, m.digest), m.mediaType);
    if (m.referrer) {
      await this.#write(this.paths.referrer(repo, m.referrer.subject, m.digest), JSON.stringify(m.referrer.descriptor));
    }
    if (m.tag !== undefined) await this.#write(this.paths.tag(repo, m.tag), m.digest);
  }

  async deleteManifest(repo: string, digest: Digest): Promise<boolean> {
    const stored = await this.getManifest(repo, digest);
    if (!stored) return false;
    for (const tag of (await this.listTags(repo)) ?? []) {
      if ((await this.#resolveTag(repo, tag)) === digest) await removed(this.paths.tag(repo, tag));
    }
    const subject = subjectOf(stored.bytes);
    if (subject) await removed(this.paths.referrer(repo, subject, digest));
    this.#revisions.delete(`${repo}@${digest}`);
    return removed(this.paths.revision(repo, digest));
  }

  deleteTag(repo: string, tag: string): Promise<boolean> {
    return removed(this.paths.tag(repo, tag));
  }

  async listTags(repo: string): Promise<readonly string[] | undefined> {
    if (!(await exists(this.paths.repo(repo)))) return undefined;
    const names = await readdir(this.paths.tagsDir(repo)).catch(() => [] as string[]);
    return names.filter((n) => !isTempName(n)).sort();
  }

  async listRepositories(): Promise<readonly string[]> {
    const found: string[] = [];
    const walk = async (dir: string, name: string): Promise<void> => {
      const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
      if (name !== '' && entries.some((e) => e.name === '_manifests' || e.name === '_layers')) found.push(name);
      for (const e of entries) {
        if (!e.isDirectory() || e.name.startsWith('_') || isTempName(e.name)) continue;
        await walk(`${dir}/${e.name}`, name === '' ? e.name : `${name}/${e.name}`);
      }
    };
    await walk(this.paths.reposDir, '');
    return found.sort();
  }

  async listReferrers(repo: string, subject: Digest): Promise<readonly Descriptor[]> {
    const dir = this.paths.referrersOf(repo, subject);
    const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => !isTempName(n)).sort();
    const out: Descriptor[] = [];
    for (const n of names) {
      const text = await readFile(`${dir}/${n}`, 'utf8').catch(() => undefined);
      if (text === undefined) continue;
      const parsed = DescriptorSchema.safeParse(safeJson(text));
      if (parsed.success) out.push(parsed.data);
    }
    return out;
  }

  async #resolveTag(repo: string, tag: string): Promise<Digest | undefined> {
    const text = await readFile(this.paths.tag(repo, tag), 'utf8').catch(() => undefined);
    const digest = text?.trim();
    return digest !== undefined && isDigest(digest) ? digest : undefined;
  }

  async #revision(repo: string, digest: Digest): Promise<string | undefined> {
    const key = `${repo}@${digest}`;
    const cached = this.#revisions.get(key);
    if (cached !== undefined) return cached;
    const mediaType = await readFile(this.paths.revision(repo, digest), 'utf8').catch(() => undefined);
    if (mediaType !== undefined) this.#revisions.set(key, mediaType);
    return mediaType;
  }

  async #write(path: string, data: Uint8Array | string): Promise<void> {
    if (this.#durable) return writeFileAtomic(path, data);
    // still atomic (temp + rename), only without the fsync
    await mkdir(dirname(path), { recursive: true });
    const tmp = tempPathFor(path);
    await writeFile(tmp, data, { flag: 'wx' });
    await rename(tmp, path);
  }

  /** A link is an empty file: creating one is atomic without a temp name. */
  async #writeLink(path: string): Promise<void> {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, '');
  }
}

function subjectOf(bytes: Buffer): Digest | undefined {
  const json = safeJson(bytes.toString('utf8')) as { subject?: { digest?: unknown } } | undefined;
  const d = json?.subject?.digest;
  return typeof d === 'string' && isDigest(d) ? d : undefined;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

async function removed(path: string): Promise<boolean> {
  try {
    await rm(path);
    return true;
  } catch {
    return false;
  }
}
