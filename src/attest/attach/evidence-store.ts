import type { Readable } from 'node:stream';
import { KilnError, isKilnError } from '../../errors/index.ts';
import {
  OciLayout,
  RegistryClient,
  digestOf,
  formatImageRef,
  refTarget,
  type Descriptor,
  type Digest,
  type ImageRef,
  type ManifestData,
  type RegistryClientOptions,
} from '../../oci/index.ts';
import { basename, resolve } from 'node:path';

/**
 * Where an image's evidence lives: the image's own registry repository or OCI layout.
 * Signatures and attestations are written next to the image (cosign's tags and OCI 1.1
 * referrers), so the one interface covers both.
 */
export interface EvidenceStore {
  /** For messages: `HOST/REPO` or `oci:DIR`. */
  readonly description: string;
  /** What signatures name as the image's identity (`HOST/REPO`, or the layout's name). */
  readonly dockerReference: string;
  putBlob(data: Buffer, mediaType: string): Promise<Descriptor>;
  /** Stores a manifest; with `tag`, tags it; without, by digest (a referrer is found through its subject). */
  putManifest(bytes: Buffer, mediaType: string, tag?: string): Promise<Digest>;
  /** The manifest a tag or digest names, or undefined. */
  tryManifest(reference: string): Promise<ManifestData | undefined>;
  readBlob(descriptor: Descriptor): Promise<Buffer>;
  openBlob(descriptor: Descriptor): Readable;
  referrers(digest: Digest, artifactType?: string): Promise<Descriptor[]>;
}

export class RegistryEvidenceStore implements EvidenceStore {
  readonly description: string;
  readonly dockerReference: string;
  readonly #client: RegistryClient;
  readonly #repository: string;
  /** Blobs this store pushed already (the empty config is in every referrer). */
  readonly #pushed = new Map<string, Promise<unknown>>();

  constructor(client: RegistryClient, repository: string) {
    this.#client = client;
    this.#repository = repository;
    this.description = `${client.host}/${repository}`;
    this.dockerReference = this.description;
  }

  async putBlob(data: Buffer, mediaType: string): Promise<Descriptor> {
    const digest = digestOf(data);
    let push = this.#pushed.get(digest);
    if (push === undefined) {
      // evidence blobs are new (signatures differ every time): skip the HEAD round trip
      push = this.#client.pushBlob(this.#repository, data, { digest, size: data.length }, { assumeAbsent: true });
      this.#pushed.set(digest, push);
      push.catch(() => this.#pushed.delete(digest));
    }
    await push;
    return { mediaType, digest, size: data.length };
  }

  async putManifest(bytes: Buffer, mediaType: string, tag?: string): Promise<Digest> {
    return (await this.#client.putManifest(this.#repository, tag ?? digestOf(bytes), bytes, mediaType)).digest;
  }

  tryManifest(reference: string): Promise<ManifestData | undefined> {
    return this.#client.tryGetManifest(this.#repository, reference);
  }

  readBlob(d: Descriptor): Promise<Buffer> {
    return this.#client.readBlob(this.#repository, d.digest, d.size);
  }

  openBlob(d: Descriptor): Readable {
    return this.#client.openBlob(this.#repository, d.digest, d.size);
  }

  referrers(digest: Digest, artifactType?: string): Promise<Descriptor[]> {
    return this.#client.referrers(this.#repository, digest, artifactType);
  }
}

export class LayoutEvidenceStore implements EvidenceStore {
  readonly description: string;
  readonly dockerReference: string;
  readonly #layout: OciLayout;

  constructor(layout: OciLayout, dockerReference: string) {
    this.#layout = layout;
    this.description = `oci:${layout.dir}`;
    this.dockerReference = dockerReference;
  }

  async putBlob(data: Buffer, mediaType: string): Promise<Descriptor> {
    const info = await this.#layout.putBlob(data);
    return { mediaType, digest: info.digest, size: info.size };
  }

  async putManifest(bytes: Buffer, mediaType: string, tag?: string): Promise<Digest> {
    const info = await this.#layout.putBlob(bytes);
    // untagged entries stay in index.json: that is how a layout lists referrers
    await this.#layout.addManifest({ mediaType, digest: info.digest, size: info.size }, tag);
    return info.digest;
  }

  async tryManifest(reference: string): Promise<ManifestData | undefined> {
    let d: Descriptor;
    try {
      d = await this.#layout.resolve(reference);
    } catch (e) {
      if (isKilnError(e) && e.code === 'NOT_FOUND') return undefined;
      throw e;
    }
    return { bytes: await this.#layout.readBlob(d.digest, d.size), mediaType: d.mediaType, digest: d.digest };
  }

  readBlob(d: Descriptor): Promise<Buffer> {
    return this.#layout.readBlob(d.digest, d.size);
  }

  openBlob(d: Descriptor): Readable {
    return this.#layout.openBlob(d.digest, d.size);
  }

  referrers(digest: Digest, artifactType?: string): Promise<Descriptor[]> {
    return this.#layout.referrers(digest, artifactType);
  }
}

export type OpenedStore = {
  readonly store: EvidenceStore;
  /** The tag or digest the reference names (`latest` when it names neither). */
  readonly reference: string;
};

export type OpenStoreOptions = {
  readonly client?: Omit<RegistryClientOptions, 'host' | 'credentials'>;
  /** The identity signatures name for an image in a layout (default: the directory's name). */
  readonly layoutIdentity?: string;
};

/** Opens the store an image reference points into (a layout must exist). */
export async function openEvidenceStore(ref: ImageRef, options: OpenStoreOptions = {}): Promise<OpenedStore> {
  if (ref.kind === 'layout') {
    let layout: OciLayout;
    try {
      layout = await OciLayout.open(ref.dir);
    } catch (cause) {
      throw new KilnError('NOT_FOUND', `${formatImageRef(ref)}: no OCI layout at ${ref.dir}`, { cause });
    }
    const identity = options.layoutIdentity ?? basename(resolve(ref.dir));
    return { store: new LayoutEvidenceStore(layout, identity), reference: ref.digest ?? ref.tag ?? (await soleTag(layout)) };
  }
  const client = await RegistryClient.forHost(ref.host, options.client ?? {});
  return { store: new RegistryEvidenceStore(client, ref.repository), reference: refTarget(ref) };
}

/** `oci:DIR` without a tag: the layout's only tag (as skopeo reads it), else `latest`. */
async function soleTag(layout: OciLayout): Promise<string> {
  const tags = (await layout.tags()).filter((t) => !/^sha256-[0-9a-f]{64}(?:\.(?:sig|att|sbom))?$/.test(t));
  return tags.length === 1 ? tags[0]! : 'latest';
}
