import { KilnError } from '../../errors/index.ts';
import { MediaType, parseManifest, referrersFallbackTag, type Descriptor, type Digest } from '../../oci/index.ts';
import type { ArtifactManifest } from './artifact-manifests.ts';
import type { EvidenceStore } from './evidence-store.ts';

/** cosign's tag for an image's signatures: `sha256-<hex>.sig`. */
export function cosignSignatureTag(digest: Digest): string {
  return `${referrersFallbackTag(digest)}.sig`;
}

/** cosign's tag for an image's attestations: `sha256-<hex>.att`. */
export function cosignAttestationTag(digest: Digest): string {
  return `${referrersFallbackTag(digest)}.att`;
}

/** The layers of the image manifest under a cosign tag (none when the tag is absent). */
export async function cosignTagLayers(store: EvidenceStore, tag: string): Promise<Descriptor[]> {
  const found = await store.tryManifest(tag);
  if (found === undefined) return [];
  const parsed = parseManifest(found.bytes, `${store.description}:${tag}`, found.mediaType);
  if (parsed.kind !== 'image') throw new KilnError('MANIFEST_INVALID', `${store.description}:${tag}: expected an image manifest, found an index`);
  return [...parsed.manifest.layers];
}

/** Stores an artifact's blobs, then its manifest (under `tag`, or as a referrer by digest). */
export async function storeArtifact(store: EvidenceStore, artifact: ArtifactManifest, tag?: string): Promise<Digest> {
  await Promise.all(artifact.blobs.map((b) => store.putBlob(b.data, b.mediaType)));
  return store.putManifest(artifact.bytes, MediaType.ociManifest, tag);
}
