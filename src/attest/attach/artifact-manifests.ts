import { EMPTY_JSON, EMPTY_JSON_DIGEST, MediaType, canonicalJsonBytes, digestOf, type Descriptor, type Digest } from '../../oci/index.ts';

/** A manifest to store with the blobs it needs. */
export type ArtifactManifest = {
  readonly bytes: Buffer;
  readonly blobs: readonly { readonly data: Buffer; readonly mediaType: string }[];
};

export const EMPTY_CONFIG: Descriptor = { mediaType: MediaType.ociEmpty, digest: EMPTY_JSON_DIGEST as Digest, size: EMPTY_JSON.length };

/** Annotations cosign (≥ 2.4, new bundle format) puts on bundle referrers; `oras discover` shows them. */
export const BundleAnnotation = {
  content: 'dev.sigstore.bundle.content',
  predicateType: 'dev.sigstore.bundle.predicateType',
} as const;

export const CREATED_ANNOTATION = 'org.opencontainers.image.created';

/**
 * The config cosign writes for its `.sig`/`.att` images: an empty image config whose
 * diff_ids are the layers' digests (cosign checks neither, but registries that validate
 * image configs accept it, where the OCI empty config would be refused by older ones).
 */
function cosignConfig(layers: readonly Descriptor[]): Buffer {
  return canonicalJsonBytes({
    architecture: '',
    config: {},
    created: '0001-01-01T00:00:00Z',
    history: [{ created: '0001-01-01T00:00:00Z' }],
    os: '',
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) },
  });
}

/**
 * cosign's tag-based form (`sha256-<hex>.sig` / `.att`): one image manifest whose layers
 * are the signatures or envelopes. Existing layers are kept and a new one is appended
 * unless it is already there, as cosign does, so several keys can sign one image.
 */
export function cosignTagManifest(existing: readonly Descriptor[], added: Descriptor, addedData: Buffer): ArtifactManifest {
  const layers = existing.some((l) => l.digest === added.digest && sameAnnotations(l, added)) ? [...existing] : [...existing, added];
  const config = cosignConfig(layers);
  const doc = {
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    config: { mediaType: MediaType.ociConfig, digest: digestOf(config), size: config.length },
    layers,
  };
  return {
    bytes: canonicalJsonBytes(doc),
    blobs: [
      { data: config, mediaType: MediaType.ociConfig },
      { data: addedData, mediaType: added.mediaType },
    ],
  };
}

/** An OCI 1.1 referrer: empty config, one layer, `subject` = the image. */
export function referrerManifest(
  subject: Descriptor,
  artifactType: string,
  layer: Descriptor,
  layerData: Buffer,
  annotations: Readonly<Record<string, string>>,
): ArtifactManifest {
  const doc = {
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    artifactType,
    config: EMPTY_CONFIG,
    layers: [layer],
    subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
    annotations,
  };
  return {
    bytes: canonicalJsonBytes(doc),
    blobs: [
      { data: EMPTY_JSON, mediaType: MediaType.ociEmpty },
      { data: layerData, mediaType: layer.mediaType },
    ],
  };
}

function sameAnnotations(a: Descriptor, b: Descriptor): boolean {
  return canonicalJsonBytes(a.annotations ?? {}).equals(canonicalJsonBytes(b.annotations ?? {}));
}

