import { MediaType, type Descriptor, type ImageManifest } from '../oci/index.ts';
import { jsonBlob, type JsonBlob } from './json-blob.ts';

export type ImageManifestInput = {
  readonly config: Descriptor;
  readonly layers: readonly Descriptor[];
  readonly annotations?: Readonly<Record<string, string>>;
};

/** An OCI image manifest, canonical JSON. Pure. */
export function buildImageManifest(input: ImageManifestInput): JsonBlob {
  const strip = (d: Descriptor): Descriptor => ({ mediaType: d.mediaType, digest: d.digest, size: d.size, ...(d.annotations && { annotations: d.annotations }) });
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    config: strip(input.config),
    layers: input.layers.map(strip),
    ...(input.annotations !== undefined && Object.keys(input.annotations).length > 0 && { annotations: { ...input.annotations } }),
  };
  return jsonBlob(MediaType.ociManifest, manifest);
}
