import { verify } from 'node:crypto';
import { KilnError } from '../../errors/index.ts';
import { parseManifest, type Descriptor, type Digest } from '../../oci/index.ts';
import { BundleAnnotation, COSIGN_PREDICATE_ANNOTATION, cosignAttestationTag, cosignSignatureTag, cosignTagLayers, type EvidenceStore } from '../attach/index.ts';
import {
  COSIGN_SIGNATURE_ANNOTATION,
  COSIGN_SIGNATURE_TYPE,
  DSSE_ENVELOPE_MEDIA_TYPE,
  SIGSTORE_BUNDLE_MEDIA_TYPE,
  SIMPLE_SIGNING_MEDIA_TYPE,
  parseEnvelope,
  parseSigstoreBundle,
  parseSimpleSigningPayload,
  type DsseEnvelope,
  type ImageVerificationKey,
} from '../sign/index.ts';
import { reasonOf, shortDigest } from './verify-check.ts';

/** One DSSE envelope found next to an image, or why it could not be read. */
export type FoundEnvelope = {
  /** `bundle` = an OCI 1.1 referrer with a Sigstore bundle; `cosign` = a layer under the `.att` tag. */
  readonly form: 'bundle' | 'cosign';
  /** Where it was found, for messages: the referrer's digest or the layer's. */
  readonly where: Digest;
  /** What the referrer or layer announced. */
  readonly predicateType?: string;
} & ({ readonly envelope: DsseEnvelope } | { readonly error: string });

/** Every Sigstore-bundle referrer of the image, read and parsed (unreadable ones carry their error). */
export async function bundleEnvelopes(store: EvidenceStore, digest: Digest): Promise<FoundEnvelope[]> {
  const out: FoundEnvelope[] = [];
  for (const d of await store.referrers(digest, SIGSTORE_BUNDLE_MEDIA_TYPE)) {
    let predicateType = d.annotations?.[BundleAnnotation.predicateType];
    try {
      const { layer, annotations } = await soleLayer(store, d, SIGSTORE_BUNDLE_MEDIA_TYPE);
      // some registries leave annotations out of referrers listings: the manifest has them
      predicateType ??= annotations?.[BundleAnnotation.predicateType];
      const bundle = parseSigstoreBundle(await store.readBlob(layer), `bundle ${shortDigest(layer.digest)}`);
      out.push({ form: 'bundle', where: d.digest, ...(predicateType !== undefined && { predicateType }), envelope: bundle.envelope });
    } catch (e) {
      out.push({ form: 'bundle', where: d.digest, ...(predicateType !== undefined && { predicateType }), error: reasonOf(e) });
    }
  }
  return out;
}

/** Every DSSE envelope layer under cosign's `sha256-<hex>.att` tag. */
export async function cosignEnvelopes(store: EvidenceStore, digest: Digest): Promise<FoundEnvelope[]> {
  const out: FoundEnvelope[] = [];
  for (const layer of await cosignTagLayers(store, cosignAttestationTag(digest))) {
    const predicateType = layer.annotations?.[COSIGN_PREDICATE_ANNOTATION];
    const base = { form: 'cosign' as const, where: layer.digest, ...(predicateType !== undefined && { predicateType }) };
    try {
      if (layer.mediaType !== DSSE_ENVELOPE_MEDIA_TYPE) throw new KilnError('SIGNATURE_INVALID', `layer media type is ${layer.mediaType}, expected ${DSSE_ENVELOPE_MEDIA_TYPE}`);
      const bytes = await store.readBlob(layer);
      let json: unknown;
      try {
        json = JSON.parse(bytes.toString('utf8'));
      } catch (cause) {
        throw new KilnError('SIGNATURE_INVALID', `the DSSE envelope is not valid JSON (${(cause as Error).message})`, { cause });
      }
      out.push({ ...base, envelope: parseEnvelope(json, `envelope ${shortDigest(layer.digest)}`) });
    } catch (e) {
      out.push({ ...base, error: reasonOf(e) });
    }
  }
  return out;
}

async function soleLayer(
  store: EvidenceStore,
  d: Descriptor,
  mediaType: string,
): Promise<{ readonly layer: Descriptor; readonly annotations: Readonly<Record<string, string>> | undefined }> {
  const found = await store.tryManifest(d.digest);
  if (found === undefined) throw new KilnError('NOT_FOUND', `referrer ${shortDigest(d.digest)} is listed but its manifest is missing`);
  const parsed = parseManifest(found.bytes, `referrer ${shortDigest(d.digest)}`, found.mediaType);
  if (parsed.kind !== 'image') throw new KilnError('MANIFEST_INVALID', `referrer ${shortDigest(d.digest)} is an index, expected an artifact manifest`);
  const layer = parsed.manifest.layers.find((l) => l.mediaType === mediaType);
  if (layer === undefined) throw new KilnError('MANIFEST_INVALID', `referrer ${shortDigest(d.digest)} has no ${mediaType} layer`);
  return { layer, annotations: parsed.manifest.annotations };
}

/** The outcome of cosign's tag-form signature check. */
export type CosignSignatureOutcome = { readonly ok: boolean; readonly reason: string };

/**
 * cosign's check: some simple-signing layer under `sha256-<hex>.sig` whose annotation is
 * an ECDSA signature over the layer bytes by this key, and whose payload names this digest.
 */
export async function checkCosignSignature(store: EvidenceStore, digest: Digest, key: ImageVerificationKey): Promise<CosignSignatureOutcome> {
  const tag = cosignSignatureTag(digest);
  let layers: Descriptor[];
  try {
    layers = await cosignTagLayers(store, tag);
  } catch (e) {
    return { ok: false, reason: `${tag}: ${reasonOf(e)}` };
  }
  if (layers.length === 0) return { ok: false, reason: `no signature: the tag ${tag} is not in ${store.description}` };
  const problems: string[] = [];
  for (const layer of layers) {
    if (layer.mediaType !== SIMPLE_SIGNING_MEDIA_TYPE) continue;
    const sig = layer.annotations?.[COSIGN_SIGNATURE_ANNOTATION];
    if (sig === undefined) {
      problems.push(`layer ${shortDigest(layer.digest)} has no ${COSIGN_SIGNATURE_ANNOTATION} annotation`);
      continue;
    }
    try {
      const payload = await store.readBlob(layer);
      if (!safeVerify(payload, key, sig)) {
        problems.push(`the signature on layer ${shortDigest(layer.digest)} does not verify with the public key ${key.keyId.slice(0, 12)}…`);
        continue;
      }
      const parsed = parseSimpleSigningPayload(payload, `layer ${shortDigest(layer.digest)}`);
      const named = parsed.critical.image['docker-manifest-digest'];
      if (named !== digest) {
        problems.push(`the signature is for ${shortDigest(named)}, not this image ${shortDigest(digest)}`);
        continue;
      }
      if (parsed.critical.type !== COSIGN_SIGNATURE_TYPE) {
        problems.push(`the payload's type is ${JSON.stringify(parsed.critical.type)}, expected ${JSON.stringify(COSIGN_SIGNATURE_TYPE)}`);
        continue;
      }
      return { ok: true, reason: `${tag}: signed by ${key.keyId.slice(0, 12)}… for ${parsed.critical.identity['docker-reference']}@${shortDigest(digest)}` };
    } catch (e) {
      problems.push(reasonOf(e));
    }
  }
  return { ok: false, reason: `${tag}: ${problems.length > 0 ? problems.join('; ') : `no ${SIMPLE_SIGNING_MEDIA_TYPE} layer`}` };
}

function safeVerify(payload: Buffer, key: ImageVerificationKey, sigBase64: string): boolean {
  try {
    return verify('sha256', payload, key.publicKey, Buffer.from(sigBase64, 'base64'));
  } catch {
    return false;
  }
}
