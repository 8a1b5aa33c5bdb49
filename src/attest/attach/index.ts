export {
  RegistryEvidenceStore,
  LayoutEvidenceStore,
  openEvidenceStore,
  type EvidenceStore,
  type OpenedStore,
  type OpenStoreOptions,
} from './evidence-store.ts';
export { cosignSignatureTag, cosignAttestationTag, cosignTagLayers, storeArtifact } from './cosign-tags.ts';
export { BundleAnnotation, CREATED_ANNOTATION, EMPTY_CONFIG, cosignTagManifest, referrerManifest, type ArtifactManifest } from './artifact-manifests.ts';
export { signImage, envelopeBytes, type SignImageOptions, type SignImageResult } from './sign-image.ts';
export {
  attachAttestations,
  COSIGN_PREDICATE_ANNOTATION,
  type AttachedAttestation,
  type AttachAttestationsResult,
} from './attach-attestations.ts';
export { attachEvidence, type AttachEvidenceInput, type AttachEvidenceResult } from './attach-evidence.ts';
