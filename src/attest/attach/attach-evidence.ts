import { KilnError } from '../../errors/index.ts';
import { digestOf, parseImageRef, type Descriptor, type Digest, type ImageRef } from '../../oci/index.ts';
import type { ImageFacts } from '../image-facts.ts';
import { PredicateType, buildProvenance, imageStatement, type ProvenanceInput, type Statement } from '../provenance/index.ts';
import { CYCLONEDX_MEDIA_TYPE, SPDX_MEDIA_TYPE, buildCycloneDxBom, buildSpdxDocument } from '../sbom/index.ts';
import type { ImageSigningKey } from '../sign/index.ts';
import { isoTime } from '../image-facts.ts';
import { CREATED_ANNOTATION, referrerManifest } from './artifact-manifests.ts';
import { attachAttestations, type AttachedAttestation } from './attach-attestations.ts';
import { storeArtifact } from './cosign-tags.ts';
import { openEvidenceStore, type EvidenceStore, type OpenStoreOptions } from './evidence-store.ts';
import { signImage, type SignImageResult } from './sign-image.ts';

export type AttachEvidenceInput = {
  /** The image's registry repository or layout: an open store, or a reference (`HOST/REPO`, `oci:DIR`). */
  readonly target: EvidenceStore | ImageRef | string;
  /** The image manifest (or index) being attested; it must be in the target. */
  readonly manifestDigest: Digest;
  /** How to reach a registry given by reference. */
  readonly open?: OpenStoreOptions;
  readonly facts: ImageFacts;
  readonly key: ImageSigningKey;
  /** Everything the provenance needs beyond the facts; without it, no provenance is attached. */
  readonly provenance?: Omit<ProvenanceInput, 'facts'>;
  /** The identity signatures name (default: the store's). */
  readonly dockerReference?: string;
};

export type AttachEvidenceResult = {
  readonly digest: Digest;
  readonly signature: SignImageResult;
  readonly attestations: readonly AttachedAttestation[];
  /** Plain SBOM referrers (artifactType application/spdx+json, application/vnd.cyclonedx+json). */
  readonly sboms: { readonly spdx: Digest; readonly cyclonedx: Digest };
  readonly cosignAttestationTag: string;
};

/**
 * Everything the factory attaches to a built image: both SBOMs (as plain referrers that
 * trivy and `oras discover` find by artifactType, and as signed in-toto attestations), the
 * signature in cosign's and the OCI 1.1 bundle form, and the SLSA provenance attestation.
 */
export async function attachEvidence(input: AttachEvidenceInput): Promise<AttachEvidenceResult> {
  const { facts, key } = input;
  const target = isStore(input.target) ? input.target : (await openEvidenceStore(typeof input.target === 'string' ? parseImageRef(input.target) : input.target, input.open)).store;
  const found = await target.tryManifest(input.manifestDigest);
  if (found === undefined) throw new KilnError('NOT_FOUND', `manifest ${input.manifestDigest} is not in ${target.description}: push the image before its evidence`);
  if (facts.digest !== input.manifestDigest) {
    throw new KilnError('INPUT_INVALID', `the facts describe ${facts.digest}, the evidence is for ${input.manifestDigest}`);
  }
  const subject: Descriptor = { mediaType: found.mediaType, digest: found.digest, size: found.bytes.length };
  const created = facts.sourceDateEpoch;
  const spdx = buildSpdxDocument(facts);
  const cyclonedx = buildCycloneDxBom(facts);
  const statements: Statement[] = [
    imageStatement(facts.repository, subject.digest, PredicateType.spdx, spdx.document),
    imageStatement(facts.repository, subject.digest, PredicateType.cyclonedx, cyclonedx.document),
  ];
  if (input.provenance !== undefined) statements.unshift(buildProvenance({ ...input.provenance, facts }));
  // independent writes (different tags; referrer index updates are serialised per subject by the stores)
  const [spdxReferrer, cyclonedxReferrer, signature, att] = await Promise.all([
    attachSbomReferrer(target, subject, SPDX_MEDIA_TYPE, spdx.bytes, created),
    attachSbomReferrer(target, subject, CYCLONEDX_MEDIA_TYPE, cyclonedx.bytes, created),
    signImage(target, subject, key, { ...(input.dockerReference !== undefined && { dockerReference: input.dockerReference }), created }),
    attachAttestations(target, subject, statements, key, { created }),
  ]);
  const sboms = { spdx: spdxReferrer, cyclonedx: cyclonedxReferrer };
  return { digest: subject.digest, signature, attestations: att.attestations, sboms, cosignAttestationTag: att.cosignTag };
}

function isStore(t: AttachEvidenceInput['target']): t is EvidenceStore {
  return typeof t === 'object' && 'putManifest' in t;
}

async function attachSbomReferrer(store: EvidenceStore, subject: Descriptor, mediaType: string, bytes: Buffer, created: number): Promise<Digest> {
  const layer: Descriptor = { mediaType, digest: digestOf(bytes), size: bytes.length };
  return storeArtifact(store, referrerManifest(subject, mediaType, layer, bytes, { [CREATED_ANNOTATION]: isoTime(created) }));
}
