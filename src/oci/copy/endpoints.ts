import type { Readable } from 'node:stream';
import type { ManifestData } from '../client/manifests.ts';
import type { Digest } from '../digest.ts';
import type { Descriptor } from '../schemas.ts';

/** Why a manifest is written: part of the image tree, or a referrer found for one. */
export type ManifestRole = 'root' | 'child' | 'referrer';

export type BlobCopyStatus = 'uploaded' | 'mounted' | 'exists';

/** Where `kiln copy` reads from: a registry repository or an OCI layout. */
export interface ImageSource {
  /** For messages: `oci:DIR` or `HOST/REPO`. */
  readonly description: string;
  /** The manifest a tag or digest names. */
  resolve(reference: string): Promise<ManifestData>;
  /** A manifest the image tree or a referrers list points at, verified against its digest. */
  getManifest(descriptor: Descriptor): Promise<ManifestData>;
  /** A stream of the blob, verified at its end. */
  openBlob(descriptor: Descriptor): Readable;
  /** Manifests whose subject is `digest`. */
  referrers(digest: Digest): Promise<Descriptor[]>;
  /** The registry repository blobs can be mounted from, when the source is one. */
  readonly mountableFrom?: { readonly host: string; readonly repository: string };
}

/** Where `kiln copy` writes to. */
export interface ImageTarget {
  readonly description: string;
  /** The registry host, when the target is one (mounts need the same host). */
  readonly host?: string;
  hasBlob(descriptor: Descriptor): Promise<boolean>;
  /** Stores a blob; `open` is called only when content must actually move. */
  putBlob(descriptor: Descriptor, open: () => Readable, mountFrom?: string): Promise<BlobCopyStatus>;
  /** Whether the manifest is there already (for a referrer in a layout: also listed in index.json). */
  hasManifest(digest: Digest, role: ManifestRole): Promise<boolean>;
  /** Stores manifest bytes verbatim, untagged. */
  putManifest(manifest: ManifestData, role: ManifestRole): Promise<void>;
  /** Points `tag` at the root manifest, last of all; without a tag, makes the root reachable untagged. */
  tag(manifest: ManifestData, tag: string | undefined): Promise<void>;
}
