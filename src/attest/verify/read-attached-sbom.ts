import { KilnError } from '../../errors/index.ts';
import { canonicalJsonBytes, formatImageRef, parseImageRef, parseManifest, type ImageRef } from '../../oci/index.ts';
import { openEvidenceStore, type OpenStoreOptions } from '../attach/index.ts';
import { PredicateType, parseStatement } from '../provenance/index.ts';
import { CYCLONEDX_MEDIA_TYPE, SPDX_MEDIA_TYPE } from '../sbom/index.ts';
import { bundleEnvelopes } from './read-evidence.ts';

export type SbomFormat = 'spdx' | 'cyclonedx';

const FORMATS: Readonly<Record<SbomFormat, { readonly mediaType: string; readonly predicateType: string }>> = {
  spdx: { mediaType: SPDX_MEDIA_TYPE, predicateType: PredicateType.spdx },
  cyclonedx: { mediaType: CYCLONEDX_MEDIA_TYPE, predicateType: PredicateType.cyclonedx },
};

/**
 * The SBOM attached to an image, as bytes: the plain referrer of that media type, else the
 * document inside the attestation. This reads, it does not verify: `kiln verify` checks
 * that the two agree and that the attestation is signed.
 */
export async function readAttachedSbom(ref: ImageRef | string, format: SbomFormat, options: OpenStoreOptions = {}): Promise<Buffer> {
  const parsed = typeof ref === 'string' ? parseImageRef(ref) : ref;
  const { store, reference } = await openEvidenceStore(parsed, options);
  const found = await store.tryManifest(reference);
  if (found === undefined) throw new KilnError('NOT_FOUND', `${formatImageRef(parsed)}: no manifest ${reference} in ${store.description}`);
  const { mediaType, predicateType } = FORMATS[format];
  for (const r of await store.referrers(found.digest, mediaType)) {
    const m = await store.tryManifest(r.digest);
    if (m === undefined) continue;
    const manifest = parseManifest(m.bytes, `referrer ${r.digest}`, m.mediaType);
    const layer = manifest.kind === 'image' ? manifest.manifest.layers.find((l) => l.mediaType === mediaType) : undefined;
    if (layer !== undefined) return store.readBlob(layer);
  }
  for (const b of await bundleEnvelopes(store, found.digest)) {
    if (b.predicateType !== predicateType || !('envelope' in b)) continue;
    const statement = parseStatement(Buffer.from(b.envelope.payload, 'base64'), `attestation ${b.where}`);
    return canonicalJsonBytes(statement.predicate);
  }
  throw new KilnError('NOT_FOUND', `${formatImageRef(parsed)} (${found.digest}): no ${format} SBOM attached (no ${mediaType} referrer, no ${predicateType} attestation)`);
}
