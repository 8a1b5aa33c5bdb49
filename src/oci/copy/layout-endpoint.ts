import type { Readable } from 'node:stream';
import type { ManifestData } from '../client/manifests.ts';
import type { Digest } from '../digest.ts';
import type { OciLayout } from '../layout.ts';
import { MediaType } from '../media-types.ts';
import type { Descriptor } from '../schemas.ts';
import type { BlobCopyStatus, ImageSource, ImageTarget, ManifestRole } from './endpoints.ts';

export class LayoutSource implements ImageSource {
  readonly description: string;
  readonly #layout: OciLayout;

  constructor(layout: OciLayout) {
    this.#layout = layout;
    this.description = `oci:${layout.dir}`;
  }

  async resolve(reference: string): Promise<ManifestData> {
    return this.getManifest(await this.#layout.resolve(reference));
  }

  async getManifest(descriptor: Descriptor): Promise<ManifestData> {
    const bytes = await this.#layout.readBlob(descriptor.digest, descriptor.size);
    return { bytes, mediaType: descriptor.mediaType, digest: descriptor.digest };
  }

  openBlob(descriptor: Descriptor): Readable {
    return this.#layout.openBlob(descriptor.digest, descriptor.size);
  }

  referrers(digest: Digest): Promise<Descriptor[]> {
    return this.#layout.referrers(digest);
  }
}

/**
 * Writes into an OCI layout: blobs under blobs/, referrers listed untagged in index.json
 * (that is how a layout finds them), children only as blobs (their index reaches them).
 */
export class LayoutTarget implements ImageTarget {
  readonly description: string;
  readonly #layout: OciLayout;
  #listed: Promise<Set<string>> | undefined;

  constructor(layout: OciLayout) {
    this.#layout = layout;
    this.description = `oci:${layout.dir}`;
  }

  hasBlob(descriptor: Descriptor): Promise<boolean> {
    return this.#layout.hasBlob(descriptor.digest);
  }

  async putBlob(descriptor: Descriptor, open: () => Readable): Promise<BlobCopyStatus> {
    await this.#layout.putBlob(open(), { digest: descriptor.digest, size: descriptor.size });
    return 'uploaded';
  }

  async hasManifest(digest: Digest, role: ManifestRole): Promise<boolean> {
    if (!(await this.#layout.hasBlob(digest))) return false;
    if (role !== 'referrer') return true;
    this.#listed ??= this.#layout.readIndex().then((index) => new Set(index.manifests.map((m) => m.digest)));
    return (await this.#listed).has(digest);
  }

  async putManifest(manifest: ManifestData, role: ManifestRole): Promise<void> {
    await this.#layout.putBlob(manifest.bytes, { digest: manifest.digest, size: manifest.bytes.length });
    if (role === 'referrer') {
      await this.#layout.addManifest(descriptorOf(manifest));
      (await this.#listed)?.add(manifest.digest);
    }
  }

  async tag(manifest: ManifestData, tag: string | undefined): Promise<void> {
    await this.#layout.addManifest(descriptorOf(manifest), tag);
  }
}

function descriptorOf(m: ManifestData): Descriptor {
  return { mediaType: m.mediaType || MediaType.ociManifest, digest: m.digest, size: m.bytes.length };
}
