import { sign } from 'node:crypto';
import { canonicalJsonBytes, digestOf, type Descriptor, type Digest } from '../../oci/index.ts';
import { PredicateType, imageStatement, statementBytes } from '../provenance/index.ts';
import {
  COSIGN_SIGNATURE_ANNOTATION,
  IN_TOTO_PAYLOAD_TYPE,
  SIGSTORE_BUNDLE_MEDIA_TYPE,
  SIMPLE_SIGNING_MEDIA_TYPE,
  signEnvelope,
  sigstoreBundleBytes,
  simpleSigningPayload,
  type ImageSigningKey,
} from '../sign/index.ts';
import { isoTime } from '../image-facts.ts';
import { BundleAnnotation, CREATED_ANNOTATION, cosignTagManifest, referrerManifest } from './artifact-manifests.ts';
import { cosignSignatureTag, cosignTagLayers, storeArtifact } from './cosign-tags.ts';
import type { EvidenceStore } from './evidence-store.ts';

export type SignImageOptions = {
  /** The identity the signature names (default: the store's `HOST/REPO`). */
  readonly dockerReference?: string;
  /** Seconds since the epoch for the referrer's created annotation (default SOURCE_DATE_EPOCH or 0). */
  readonly created?: number;
};

export type SignImageResult = {
  readonly digest: Digest;
  /** The manifest under `sha256-<hex>.sig`. */
  readonly cosignTag: string;
  readonly cosignManifest: Digest;
  /** The OCI 1.1 referrer holding the Sigstore bundle. */
  readonly bundleReferrer: Digest;
};

/**
 * Signs an image's manifest digest and attaches the signature in both forms clients read:
 * (a) cosign's tag form — a simple-signing payload layer under `sha256-<hex>.sig` whose
 * annotation is the base64 DER ECDSA signature over the payload bytes (cosign ≤ 2.x, policy
 * controllers, `cosign verify --key`); (b) an OCI 1.1 referrer whose artifactType is the
 * Sigstore bundle v0.3 type and whose layer is a bundle with a DSSE envelope over an in-toto
 * statement naming the image digest (`https://sigstore.dev/cosign/sign/v1`, as cosign v3
 * writes), which @sigstore/verify and `cosign verify --new-bundle-format` read.
 */
export async function signImage(store: EvidenceStore, subject: Descriptor, key: ImageSigningKey, options: SignImageOptions = {}): Promise<SignImageResult> {
  const identity = options.dockerReference ?? store.dockerReference;
  const created = isoTime(options.created ?? 0);

  const payload = simpleSigningPayload(identity, subject.digest);
  const signature = sign('sha256', payload, key.privateKey).toString('base64');
  const layer: Descriptor = {
    mediaType: SIMPLE_SIGNING_MEDIA_TYPE,
    digest: digestOf(payload),
    size: payload.length,
    annotations: { [COSIGN_SIGNATURE_ANNOTATION]: signature },
  };
  const tag = cosignSignatureTag(subject.digest);
  const existing = await cosignTagLayers(store, tag);
  const cosignManifest = await storeArtifact(store, cosignTagManifest(existing, layer, payload), tag);

  const statement = imageStatement(identity, subject.digest, PredicateType.cosignSign, {});
  const envelope = signEnvelope(IN_TOTO_PAYLOAD_TYPE, statementBytes(statement), key);
  const bundle = sigstoreBundleBytes(envelope, key.keyId);
  const bundleLayer: Descriptor = { mediaType: SIGSTORE_BUNDLE_MEDIA_TYPE, digest: digestOf(bundle), size: bundle.length };
  const referrer = referrerManifest(subject, SIGSTORE_BUNDLE_MEDIA_TYPE, bundleLayer, bundle, {
    [BundleAnnotation.content]: 'dsse-envelope',
    [BundleAnnotation.predicateType]: PredicateType.cosignSign,
    [CREATED_ANNOTATION]: created,
  });
  const bundleReferrer = await storeArtifact(store, referrer);
  return { digest: subject.digest, cosignTag: tag, cosignManifest, bundleReferrer };
}

/** Canonical bytes of a DSSE envelope as a cosign `.att` layer carries it. */
export function envelopeBytes(envelope: ReturnType<typeof signEnvelope>): Buffer {
  return canonicalJsonBytes(envelope);
}
