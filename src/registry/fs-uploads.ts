import { createHash, randomUUID, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm, stat, truncate } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Readable } from 'node:stream';
import { digestAlgorithm, type Digest } from '../oci/index.ts';
import { appendStream } from './append-stream.ts';
import { RegistryError, rangeNotSatisfiable } from './errors.ts';
import type { FsPaths } from './fs-paths.ts';
import type { AppendOptions, BlobStat, UploadState } from './storage.ts';

type Session = {
  readonly uuid: string;
  readonly repo: string;
  size: number;
  /** sha256 of everything so far, so that finishing a 100 MiB upload does not read it back. */
  hash: Hash;
  busy: boolean;
  touched: number;
};

/** Sessions idle this long are dropped with their staging file (gc's default age for uploads). */
const SESSION_TTL_MS = 24 * 3_600_000;
const SWEEP_EVERY_MS = 10 * 60_000;

/**
 * Upload sessions of the filesystem driver. Data is staged in `uploads/<uuid>` and
 * renamed into the blob store only after its digest checks out, so a crash at any
 * point leaves at most a stale staging file (which `kiln registry gc` removes), never
 * a partial blob. The running hash lives in memory; sessions do not survive a restart
 * (their uuids become BLOB_UPLOAD_UNKNOWN and the client starts over).
 */
export class FsUploads {
  readonly #paths: FsPaths;
  readonly #durable: boolean;
  readonly #sessions = new Map<string, Session>();
  #lastSweep = Date.now();

  constructor(paths: FsPaths, durable: boolean) {
    this.#paths = paths;
    this.#durable = durable;
  }

  async start(repo: string): Promise<UploadState> {
    await this.#sweep();
    const uuid = randomUUID();
    await mkdir(this.#paths.uploadsDir, { recursive: true });
    const fh = await open(this.#paths.upload(uuid), 'wx', 0o644);
    await fh.close();
    this.#sessions.set(uuid, { uuid, repo, size: 0, hash: createHash('sha256'), busy: false, touched: Date.now() });
    return { uuid, size: 0 };
  }

  state(repo: string, uuid: string): UploadState | undefined {
    const s = this.#sessions.get(uuid);
    return s && s.repo === repo ? { uuid, size: s.size } : undefined;
  }

  async append(repo: string, uuid: string, body: Readable, options: AppendOptions): Promise<UploadState> {
    const s = this.#session(repo, uuid);
    if (options.start !== undefined && options.start !== s.size) {
      throw rangeNotSatisfiable(`the chunk starts at byte ${options.start}, but upload ${uuid} holds ${s.size} bytes`, {
        expectedStart: s.size,
      });
    }
    s.busy = true;
    s.touched = Date.now();
    const before = s.hash.copy();
    const sizeBefore = s.size;
    try {
      s.size += await appendStream(this.#paths.upload(uuid), body, s.hash, options.length, this.#durable);
    } catch (e) {
      // put the upload back as it was, so the client may retry the chunk
      s.hash = before;
      s.size = sizeBefore;
      await truncate(this.#paths.upload(uuid), sizeBefore).catch(() => undefined);
      throw e;
    } finally {
      s.busy = false;
      s.touched = Date.now();
    }
    return { uuid, size: s.size };
  }

  async finish(repo: string, uuid: string, digest: Digest, blobPath: string): Promise<BlobStat> {
    const s = this.#session(repo, uuid);
    // the session ends here, whatever the outcome: a chunk racing the finish finds no upload
    this.#sessions.delete(uuid);
    const file = this.#paths.upload(uuid);
    const actual =
      digestAlgorithm(digest) === 'sha256' ? `sha256:${s.hash.digest('hex')}` : await hashFile(file, digestAlgorithm(digest));
    if (actual !== digest) {
      await rm(file, { force: true });
      throw new RegistryError('DIGEST_INVALID', `the upload hashes to ${actual}, not ${digest}; nothing was stored`, {
        detail: { expected: digest, actual },
      });
    }
    await mkdir(dirname(blobPath), { recursive: true });
    const existing = await stat(blobPath).catch(() => undefined);
    if (existing) await rm(file, { force: true });
    else await rename(file, blobPath);
    return { digest, size: s.size };
  }

  async cancel(repo: string, uuid: string): Promise<boolean> {
    const s = this.#sessions.get(uuid);
    if (!s || s.repo !== repo) return false;
    this.#sessions.delete(uuid);
    await rm(this.#paths.upload(uuid), { force: true });
    return true;
  }

  /** Abandoned sessions would otherwise hold memory (and a hash state) forever. */
  async #sweep(): Promise<void> {
    const now = Date.now();
    if (now - this.#lastSweep < SWEEP_EVERY_MS) return;
    this.#lastSweep = now;
    for (const s of [...this.#sessions.values()]) {
      if (!s.busy && now - s.touched > SESSION_TTL_MS) await this.cancel(s.repo, s.uuid);
    }
  }

  #session(repo: string, uuid: string): Session {
    const s = this.#sessions.get(uuid);
    if (!s || s.repo !== repo) throw unknownUpload(uuid);
    if (s.busy) throw rangeNotSatisfiable(`upload ${uuid} is already receiving a chunk`);
    return s;
  }
}

export function unknownUpload(uuid: string): RegistryError {
  return new RegistryError('BLOB_UPLOAD_UNKNOWN', `no upload ${JSON.stringify(uuid.slice(0, 80))} in progress in this repository`);
}

async function hashFile(path: string, algorithm: string): Promise<string> {
  const hash = createHash(algorithm);
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return `${algorithm}:${hash.digest('hex')}`;
}
