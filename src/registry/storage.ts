import type { Readable } from 'node:stream';
import type { Descriptor, Digest } from '../oci/index.ts';

/**
 * What the registry needs from where it keeps content: one content-addressed blob
 * store shared by every repository, per-repository links (which blobs and manifests a
 * repository holds, and its tags), upload sessions and the referrers of a subject.
 * The filesystem driver is the one implementation today; a driver that stores in
 * another registry fits the same shape. Drivers take validated names and digests.
 */
export type BlobStat = { readonly digest: Digest; readonly size: number };

/** An inclusive byte range, as in HTTP. */
export type ByteRange = { readonly start: number; readonly end: number };

export type UploadState = { readonly uuid: string; readonly size: number };

export type StoredManifest = {
  readonly digest: Digest;
  readonly mediaType: string;
  readonly bytes: Buffer;
};

export type ManifestToStore = {
  readonly digest: Digest;
  readonly mediaType: string;
  readonly bytes: Buffer;
  readonly tag?: string;
  /** Present when the manifest names a subject: how it is listed among the subject's referrers. */
  readonly referrer?: { readonly subject: Digest; readonly descriptor: Descriptor };
};

export type AppendOptions = {
  /** Where the chunk claims to start (Content-Range); a mismatch is refused with 416. */
  readonly start?: number;
  /** How many bytes the chunk claims to hold (Content-Length / Content-Range); a mismatch is SIZE_INVALID. */
  readonly length?: number;
};

export interface RegistryStorage {
  /** The blob's size when the repository links it and the store holds it. */
  statBlob(repo: string, digest: Digest): Promise<BlobStat | undefined>;
  /** Streams a blob (or an inclusive range of it); the caller checked it exists. */
  readBlob(digest: Digest, range?: ByteRange): Readable;
  /** Links a blob the store already holds into `repo` (a mount); false when the store lacks it. */
  linkBlob(repo: string, digest: Digest): Promise<boolean>;
  /** Removes the repository's link; the data stays until garbage collection. */
  unlinkBlob(repo: string, digest: Digest): Promise<boolean>;

  startUpload(repo: string): Promise<UploadState>;
  uploadState(repo: string, uuid: string): Promise<UploadState | undefined>;
  /** Appends `body` to the upload; on any failure the upload is left as it was before. */
  appendUpload(repo: string, uuid: string, body: Readable, options: AppendOptions): Promise<UploadState>;
  /**
   * Checks the upload hashes to `digest` (and had `size` bytes when given) and moves it
   * into the blob store, linked into `repo`. On a mismatch the upload is discarded and
   * nothing is stored.
   */
  finishUpload(repo: string, uuid: string, digest: Digest): Promise<BlobStat>;
  cancelUpload(repo: string, uuid: string): Promise<boolean>;

  /** By digest or by tag; undefined when the repository lacks it. */
  getManifest(repo: string, reference: Digest | string): Promise<StoredManifest | undefined>;
  hasManifest(repo: string, digest: Digest): Promise<boolean>;
  putManifest(repo: string, manifest: ManifestToStore): Promise<void>;
  /** Removes the manifest from the repository, with its tags and its referrer entry. */
  deleteManifest(repo: string, digest: Digest): Promise<boolean>;
  deleteTag(repo: string, tag: string): Promise<boolean>;

  /** Sorted; undefined when the repository does not exist. */
  listTags(repo: string): Promise<readonly string[] | undefined>;
  /** Sorted names of every repository that holds anything. */
  listRepositories(): Promise<readonly string[]>;
  /** Descriptors of the manifests in `repo` whose subject is `subject`, sorted by digest. */
  listReferrers(repo: string, subject: Digest): Promise<readonly Descriptor[]>;
}
