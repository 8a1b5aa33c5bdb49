import { digestOf, type Descriptor, type Digest } from '../../oci/index.ts';
import type { Statement } from '../provenance/index.ts';
import { statementBytes } from '../provenance/index.ts';
import {
  DSSE_ENVELOPE_MEDIA_TYPE,
  IN_TOTO_PAYLOAD_TYPE,
  SIGSTORE_BUNDLE_MEDIA_TYPE,
  signEnvelope,
  sigstoreBundleBytes,
  type ImageSigningKey,
} from '../sign/index.ts';
import { isoTime } from '../image-facts.ts';
import { BundleAnnotation, CREATED_ANNOTATION, cosignTagManifest, referrerManifest } from './artifact-manifests.ts';
import { cosignAttestationTag, cosignTagLayers, storeArtifact } from './cosign-tags.ts';
import type { EvidenceStore } from './evidence-store.ts';
import { envelopeBytes } from './sign-image.ts';

/** cosign's annotation on an `.att` layer naming the statement's predicate type. */
export const COSIGN_PREDICATE_ANNOTATION = 'predicateType';

export type AttachedAttestation = {
  readonly predicateType: string;
  /** The OCI 1.1 referrer (artifactType = Sigstore bundle v0.3) holding this attestation. */
  readonly bundleReferrer: Digest;
};

export type AttachAttestationsResult = {
  readonly attestations: readonly AttachedAttestation[];
  readonly cosignTag: string;
  /** Absent when there was nothing to attach. */
  readonly cosignManifest?: Digest;
};

/**
 * Signs each statement into a DSSE envelope (payloadType application/vnd.in-toto+json)
 * and attaches it twice: as an OCI 1.1 referrer with artifactType
 * `application/vnd.dev.sigstore.bundle.v0.3+json` and the `dev.sigstore.bundle.predicateType`
 * annotation (what cosign ≥ 2.4 writes and `oras discover` lists), and as a layer
 * (`application/vnd.dsse.envelope.v1+json`, annotation `predicateType`) of the image under
 * cosign's `sha256-<hex>.att` tag, for `cosign verify-attestation` and older clients.
 */
export async function attachAttestations(
  store: EvidenceStore,
  subject: Descriptor,
  statements: readonly Statement[],
  key: ImageSigningKey,
  options: { readonly created?: number } = {},
): Promise<AttachAttestationsResult> {
  const created = isoTime(options.created ?? 0);
  const tag = cosignAttestationTag(subject.digest);
  const existing = await cosignTagLayers(store, tag);
  const signed = statements.map((statement) => {
    const envelope = signEnvelope(IN_TOTO_PAYLOAD_TYPE, statementBytes(statement), key);
    const bundle = sigstoreBundleBytes(envelope, key.keyId);
    const bundleLayer: Descriptor = { mediaType: SIGSTORE_BUNDLE_MEDIA_TYPE, digest: digestOf(bundle), size: bundle.length };
    const referrer = referrerManifest(subject, SIGSTORE_BUNDLE_MEDIA_TYPE, bundleLayer, bundle, {
      [BundleAnnotation.content]: 'dsse-envelope',
      [BundleAnnotation.predicateType]: statement.predicateType,
      [CREATED_ANNOTATION]: created,
    });
    const data = envelopeBytes(envelope);
    const layer: Descriptor = {
      mediaType: DSSE_ENVELOPE_MEDIA_TYPE,
      digest: digestOf(data),
      size: data.length,
      annotations: { [COSIGN_PREDICATE_ANNOTATION]: statement.predicateType },
    };
    return { predicateType: statement.predicateType, referrer, layer, data };
  });
  const attestations: AttachedAttestation[] = await Promise.all(
    signed.map(async (s) => ({ predicateType: s.predicateType, bundleReferrer: await storeArtifact(store, s.referrer) })),
  );
  const added = signed.map((s) => ({ layer: s.layer, data: s.data }));
  const last = added.at(-1);
  if (last === undefined) return { attestations, cosignTag: tag };
  // every envelope blob first, then one manifest write for the tag
  await Promise.all(added.slice(0, -1).map((a) => store.putBlob(a.data, a.layer.mediaType)));
  const layers = [...existing, ...added.slice(0, -1).map((a) => a.layer)];
  const cosignManifest = await storeArtifact(store, cosignTagManifest(layers, last.layer, last.data), tag);
  return { attestations, cosignTag: tag, cosignManifest };
}
