import type { Readable } from 'node:stream';
import type { Digest } from '../digest.ts';
import type { Descriptor } from '../schemas.ts';
import { deleteBlob, headBlob, openBlob, readBlob, type BlobStat } from './blobs.ts';
import { credentialsFor, loadCredentials, type CredentialSearch } from './docker-config.ts';
import { drain } from './http.ts';
import { listRepositories, listTags, type ListOptions } from './listing.ts';
import {
  deleteManifest,
  getManifest,
  headManifest,
  putManifest,
  tryGetManifest,
  type ManifestData,
  type ManifestStat,
  type PutManifestResult,
} from './manifests.ts';
import { KeyedLock, addToReferrersFallback, listReferrers, referrerDescriptor } from './referrers.ts';
import { Transport, type RegistryClientOptions } from './transport.ts';
import { pushBlob, type BlobBody, type PushBlobOptions, type PushBlobResult } from './upload.ts';

export type PutManifestOptions = {
  /**
   * When the manifest has a subject and the registry does not index referrers itself
   * (no OCI-Subject in its answer), add it to the `<alg>-<hex>` fallback index tag.
   * Default true.
   */
  readonly referrersFallback?: boolean;
};

/**
 * A client for one registry host (distribution-spec v1.1): blobs streamed and verified,
 * uploads streamed, manifests verbatim, tags and catalog paginated, referrers with the
 * tag-schema fallback, auth (basic, bearer) and bounded retries underneath.
 */
export class RegistryClient {
  readonly host: string;
  readonly #t: Transport;
  readonly #fallbackLock = new KeyedLock();
  /** Repositories that answered the referrers API with a plain 404: the fallback tag is used directly. */
  readonly #noReferrersApi = new Set<string>();

  constructor(options: RegistryClientOptions) {
    this.host = options.host;
    this.#t = new Transport(options);
  }

  /** A client whose credentials come from docker/containers auth files (see loadCredentials). */
  static async forHost(
    host: string,
    options: Omit<RegistryClientOptions, 'host' | 'credentials'> & { readonly auth?: CredentialSearch } = {},
  ): Promise<RegistryClient> {
    const store = await loadCredentials(options.auth);
    const credentials = credentialsFor(store, host);
    return new RegistryClient({ ...options, host, ...(credentials !== undefined && { credentials }) });
  }

  /** `GET /v2/`: the registry is there and speaks distribution-spec (authenticating if it asks). */
  async ping(): Promise<void> {
    const res = await this.#t.request({ method: 'GET', path: '/v2/', scopes: [], operation: { host: this.host, what: 'GET /v2/' }, ok: [200] });
    await drain(res);
  }

  headBlob(repository: string, digest: Digest): Promise<BlobStat | undefined> {
    return headBlob(this.#t, repository, digest);
  }

  /** A verified stream of the blob, resumed with Range requests when the connection breaks. */
  openBlob(repository: string, digest: Digest, size?: number): Readable {
    return openBlob(this.#t, repository, digest, size);
  }

  /** A small blob whole, verified. */
  readBlob(repository: string, digest: Digest, size?: number): Promise<Buffer> {
    return readBlob(this.#t, repository, digest, size);
  }

  pushBlob(
    repository: string,
    body: BlobBody,
    expected: { readonly digest: Digest; readonly size?: number },
    options?: PushBlobOptions,
  ): Promise<PushBlobResult> {
    return pushBlob(this.#t, repository, body, expected, options);
  }

  deleteBlob(repository: string, digest: Digest): Promise<void> {
    return deleteBlob(this.#t, repository, digest);
  }

  getManifest(repository: string, reference: string): Promise<ManifestData> {
    return getManifest(this.#t, repository, reference);
  }

  tryGetManifest(repository: string, reference: string): Promise<ManifestData | undefined> {
    return tryGetManifest(this.#t, repository, reference);
  }

  headManifest(repository: string, reference: string): Promise<ManifestStat | undefined> {
    return headManifest(this.#t, repository, reference);
  }

  /** PUTs manifest bytes verbatim (so the digest is theirs) under a tag or their digest. */
  async putManifest(
    repository: string,
    reference: string,
    bytes: Uint8Array,
    mediaType: string,
    options: PutManifestOptions = {},
  ): Promise<PutManifestResult> {
    const result = await putManifest(this.#t, repository, reference, bytes, mediaType);
    if (options.referrersFallback === false || result.subjectIndexed) return result;
    const subject = subjectOf(bytes);
    if (subject === undefined) return result;
    const descriptor = referrerDescriptor(bytes, mediaType, result.digest, `manifest ${result.digest} pushed to ${this.host}/${repository}`);
    await this.#fallbackLock.run(`${repository}@${subject}`, () => addToReferrersFallback(this.#t, repository, subject, descriptor));
    return result;
  }

  deleteManifest(repository: string, reference: string): Promise<void> {
    return deleteManifest(this.#t, repository, reference);
  }

  listTags(repository: string, options?: ListOptions): Promise<string[]> {
    return listTags(this.#t, repository, options);
  }

  /** The catalog (`/v2/_catalog`), all pages. */
  listRepositories(options?: ListOptions): Promise<string[]> {
    return listRepositories(this.#t, options);
  }

  referrers(repository: string, subject: Digest, artifactType?: string): Promise<Descriptor[]> {
    return listReferrers(this.#t, repository, subject, artifactType, this.#noReferrersApi);
  }
}

/** The subject digest of a manifest, without a full parse (most manifests have none). */
function subjectOf(bytes: Uint8Array): Digest | undefined {
  try {
    const doc = JSON.parse(Buffer.from(bytes).toString('utf8')) as { subject?: { digest?: unknown } };
    const d = doc.subject?.digest;
    return typeof d === 'string' && /^sha(256|512):[a-f0-9]+$/.test(d) ? (d as Digest) : undefined;
  } catch {
    return undefined;
  }
}
