import type { Readable } from 'node:stream';
import type { RegistryClient } from '../client/client.ts';
import type { ManifestData } from '../client/manifests.ts';
import type { Digest } from '../digest.ts';
import type { Descriptor } from '../schemas.ts';
import type { BlobCopyStatus, ImageSource, ImageTarget } from './endpoints.ts';

/** Blobs up to this size are read whole so the upload can be one request (and retried). */
const SMALL_BLOB = 64 * 1024;

export class RegistrySource implements ImageSource {
  readonly description: string;
  readonly mountableFrom: { readonly host: string; readonly repository: string };
  readonly #client: RegistryClient;
  readonly #repository: string;

  constructor(client: RegistryClient, repository: string) {
    this.#client = client;
    this.#repository = repository;
    this.description = `${client.host}/${repository}`;
    this.mountableFrom = { host: client.host, repository };
  }

  resolve(reference: string): Promise<ManifestData> {
    return this.#client.getManifest(this.#repository, reference);
  }

  getManifest(descriptor: Descriptor): Promise<ManifestData> {
    return this.#client.getManifest(this.#repository, descriptor.digest);
  }

  openBlob(descriptor: Descriptor): Readable {
    return this.#client.openBlob(this.#repository, descriptor.digest, descriptor.size);
  }

  referrers(digest: Digest): Promise<Descriptor[]> {
    return this.#client.referrers(this.#repository, digest);
  }
}

export class RegistryTarget implements ImageTarget {
  readonly description: string;
  readonly host: string;
  readonly #client: RegistryClient;
  readonly #repository: string;

  constructor(client: RegistryClient, repository: string) {
    this.#client = client;
    this.#repository = repository;
    this.host = client.host;
    this.description = `${client.host}/${repository}`;
  }

  async hasBlob(descriptor: Descriptor): Promise<boolean> {
    return (await this.#client.headBlob(this.#repository, descriptor.digest)) !== undefined;
  }

  async putBlob(descriptor: Descriptor, open: () => Readable, mountFrom?: string): Promise<BlobCopyStatus> {
    const expected = { digest: descriptor.digest, size: descriptor.size };
    const options = { assumeAbsent: true, ...(mountFrom !== undefined && { mountFrom }) };
    if (descriptor.size <= SMALL_BLOB && mountFrom === undefined) {
      const chunks: Buffer[] = [];
      for await (const c of open() as AsyncIterable<Buffer>) chunks.push(c);
      return this.#client.pushBlob(this.#repository, Buffer.concat(chunks), expected, options);
    }
    return this.#client.pushBlob(this.#repository, open, expected, options);
  }

  async hasManifest(digest: Digest): Promise<boolean> {
    return (await this.#client.headManifest(this.#repository, digest)) !== undefined;
  }

  async putManifest(manifest: ManifestData): Promise<void> {
    await this.#client.putManifest(this.#repository, manifest.digest, manifest.bytes, manifest.mediaType);
  }

  async tag(manifest: ManifestData, tag: string | undefined): Promise<void> {
    if (tag === undefined) return;
    await this.#client.putManifest(this.#repository, tag, manifest.bytes, manifest.mediaType, { referrersFallback: false });
  }
}
