import { MediaType, type Descriptor, type ImageIndex, type Platform } from '../oci/index.ts';
import { jsonBlob, type JsonBlob } from './json-blob.ts';

export type ImageIndexInput = {
  /** One per architecture; written in the order given. */
  readonly manifests: readonly { readonly descriptor: Descriptor; readonly platform: Platform }[];
  readonly annotations?: Readonly<Record<string, string>>;
};

/** An OCI image index over per-platform manifests, canonical JSON. Pure. */
export function buildImageIndex(input: ImageIndexInput): JsonBlob {
  const index: ImageIndex = {
    schemaVersion: 2,
    mediaType: MediaType.ociIndex,
    manifests: input.manifests.map((m) => ({
      mediaType: m.descriptor.mediaType,
      digest: m.descriptor.digest,
      size: m.descriptor.size,
      platform: m.platform,
    })),
    ...(input.annotations !== undefined && Object.keys(input.annotations).length > 0 && { annotations: { ...input.annotations } }),
  };
  return jsonBlob(MediaType.ociIndex, index);
}
