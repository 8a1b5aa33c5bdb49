import { KilnError } from '../../errors/index.ts';
import { canonicalJsonBytes, formatImageRef, parseImageRef, parseManifest, type Digest, type ImageRef, type ParsedManifest } from '../../oci/index.ts';
import { openEvidenceStore, type EvidenceStore, type OpenStoreOptions } from '../attach/index.ts';
import { PredicateType, type ParsedStatement } from '../provenance/index.ts';
import { CYCLONEDX_MEDIA_TYPE, SPDX_MEDIA_TYPE } from '../sbom/index.ts';
import type { ImageVerificationKey } from '../sign/index.ts';
import { checkEnvelope } from './envelope-check.ts';
import { bundleEnvelopes, checkCosignSignature, cosignEnvelopes, type FoundEnvelope } from './read-evidence.ts';
import { checkInstalledPackages } from './sbom-check.ts';
import { fail, pass, reasonOf, shortDigest, skip, type VerifyCheck } from './verify-check.ts';

export type VerifyOptions = OpenStoreOptions & { readonly publicKey: ImageVerificationKey };

export type VerifyResult = {
  readonly reference: string;
  readonly digest: Digest;
  /** True when no check failed. */
  readonly ok: boolean;
  readonly checks: readonly VerifyCheck[];
};

/** The SBOM attestations every attested kiln image carries (provenance is checked when present). */
const REQUIRED_ATTESTATIONS: readonly string[] = [PredicateType.spdx, PredicateType.cyclonedx];

/** `kiln verify`: resolves the reference (registry or oci:DIR) and runs every check. */
export async function verifyImage(ref: ImageRef | string, options: VerifyOptions): Promise<VerifyResult> {
  const parsed = typeof ref === 'string' ? parseImageRef(ref) : ref;
  const { store, reference } = await openEvidenceStore(parsed, options);
  return verifyStoredImage(store, reference, options.publicKey, formatImageRef(parsed));
}

/**
 * Checks, each reported with its reason: the signature over the manifest digest in both
 * forms (cosign's `.sig` tag, the Sigstore bundle referrer); every attestation envelope
 * (bundle referrers and `.att` layers): payload type, signature, subject digest; that the
 * SBOM attestations are all there in both forms; that plain SBOM referrers are the attested
 * documents; and that the SBOMs list exactly the packages in the image's apk database.
 */
export async function verifyStoredImage(store: EvidenceStore, reference: string, key: ImageVerificationKey, display = reference): Promise<VerifyResult> {
  const found = await store.tryManifest(reference);
  if (found === undefined) throw new KilnError('NOT_FOUND', `${display}: no manifest ${reference} in ${store.description}`);
  const digest = found.digest;
  const manifest = parseManifest(found.bytes, `${display} manifest`, found.mediaType);
  const checks: VerifyCheck[] = [];

  const cosign = await checkCosignSignature(store, digest, key);
  checks.push(cosign.ok ? pass('signature.cosign', cosign.reason) : fail('signature.cosign', cosign.reason));

  const bundles = await bundleEnvelopes(store, digest);
  const signatureBundles = bundles.filter((b) => b.predicateType === PredicateType.cosignSign);
  checks.push(signatureBundleCheck(signatureBundles, key, digest));

  const attested = new Map<string, Set<FoundEnvelope['form']>>();
  const statements = new Map<string, ParsedStatement>();
  const envelopes = [...bundles.filter((b) => b.predicateType !== PredicateType.cosignSign), ...(await cosignEnvelopes(store, digest))];
  for (const e of envelopes) {
    const label = e.predicateType ?? `unannounced ${shortDigest(e.where)}`;
    const name = `attestation.${e.form} ${label}`;
    if ('error' in e) {
      checks.push(fail(name, e.error));
      continue;
    }
    const outcome = checkEnvelope(e.envelope, key, digest, e.predicateType);
    checks.push(outcome.ok ? pass(name, outcome.reason) : fail(name, outcome.reason));
    if (outcome.ok) {
      const forms = attested.get(outcome.statement.predicateType) ?? new Set();
      forms.add(e.form);
      attested.set(outcome.statement.predicateType, forms);
      statements.set(outcome.statement.predicateType, outcome.statement);
    }
  }
  checks.push(completenessCheck(envelopes.length, attested));
  checks.push(...(await sbomReferrerChecks(store, digest, statements)));
  checks.push(await installedCheck(store, manifest, statements));
  return { reference: display, digest, ok: checks.every((c) => c.status !== 'fail'), checks };
}

/** For callers that need all-or-nothing (the factory before publishing): VERIFY_FAILED naming every failed check. */
export function assertVerified(result: VerifyResult): void {
  const failed = result.checks.filter((c) => c.status === 'fail');
  if (failed.length === 0) return;
  throw new KilnError('VERIFY_FAILED', `${result.reference} (${result.digest}): ${failed.map((c) => `${c.name}: ${c.reason}`).join('; ')}`);
}

function signatureBundleCheck(found: readonly FoundEnvelope[], key: ImageVerificationKey, digest: Digest): VerifyCheck {
  const name = 'signature.bundle';
  if (found.length === 0) return fail(name, `no Sigstore bundle referrer with predicateType ${PredicateType.cosignSign}`);
  const problems: string[] = [];
  for (const f of found) {
    if ('error' in f) {
      problems.push(`${shortDigest(f.where)}: ${f.error}`);
      continue;
    }
    const outcome = checkEnvelope(f.envelope, key, digest, PredicateType.cosignSign);
    if (outcome.ok) return pass(name, `referrer ${shortDigest(f.where)}: ${outcome.reason}`);
    problems.push(`${shortDigest(f.where)}: ${outcome.reason}`);
  }
  return fail(name, problems.join('; '));
}

function completenessCheck(count: number, attested: ReadonlyMap<string, ReadonlySet<string>>): VerifyCheck {
  const name = 'attestations.complete';
  if (count === 0) return skip(name, 'no attestations attached (signature only)');
  const missing: string[] = [];
  const required = [...REQUIRED_ATTESTATIONS, ...(attested.has(PredicateType.slsaProvenance) ? [PredicateType.slsaProvenance] : [])];
  for (const type of required) {
    for (const form of ['bundle', 'cosign'] as const) {
      if (!attested.get(type)?.has(form)) missing.push(`${type} (${form === 'bundle' ? 'bundle referrer' : '.att tag'})`);
    }
  }
  if (missing.length > 0) return fail(name, `no valid attestation for ${missing.join(', ')}`);
  return pass(name, `${required.join(', ')} in both forms`);
}

async function sbomReferrerChecks(store: EvidenceStore, digest: Digest, statements: ReadonlyMap<string, ParsedStatement>): Promise<VerifyCheck[]> {
  const out: VerifyCheck[] = [];
  const kinds = [
    { label: 'spdx', mediaType: SPDX_MEDIA_TYPE, predicateType: PredicateType.spdx },
    { label: 'cyclonedx', mediaType: CYCLONEDX_MEDIA_TYPE, predicateType: PredicateType.cyclonedx },
  ];
  for (const k of kinds) {
    const name = `sbom.referrer ${k.label}`;
    try {
      const referrers = await store.referrers(digest, k.mediaType);
      if (referrers.length === 0) continue;
      const statement = statements.get(k.predicateType);
      if (statement === undefined) {
        out.push(fail(name, `an unsigned ${k.mediaType} referrer with no valid ${k.predicateType} attestation to vouch for it`));
        continue;
      }
      const attested = canonicalJsonBytes(statement.predicate);
      for (const r of referrers) {
        const m = await store.tryManifest(r.digest);
        const parsed = m !== undefined ? parseManifest(m.bytes, `referrer ${shortDigest(r.digest)}`, m.mediaType) : undefined;
        const layer = parsed?.kind === 'image' ? parsed.manifest.layers[0] : undefined;
        if (layer === undefined) throw new KilnError('MANIFEST_INVALID', `referrer ${shortDigest(r.digest)} has no SBOM layer`);
        const bytes = await store.readBlob(layer);
        if (!bytes.equals(attested)) throw new KilnError('DIGEST_MISMATCH', `referrer ${shortDigest(r.digest)}: the SBOM blob ${shortDigest(layer.digest)} is not the signed ${k.predicateType} attestation's document`);
      }
      out.push(pass(name, `${referrers.length} referrer(s), identical to the signed attestation`));
    } catch (e) {
      out.push(fail(name, reasonOf(e)));
    }
  }
  return out;
}

async function installedCheck(store: EvidenceStore, manifest: ParsedManifest, statements: ReadonlyMap<string, ParsedStatement>): Promise<VerifyCheck> {
  const name = 'sbom.installed';
  if (!statements.has(PredicateType.spdx) && !statements.has(PredicateType.cyclonedx)) return skip(name, 'no valid SBOM attestation to compare');
  if (manifest.kind !== 'image') return skip(name, 'the reference is an index: verify each platform image for its packages');
  try {
    return await checkInstalledPackages(store, manifest.manifest, statements);
  } catch (e) {
    return fail(name, reasonOf(e));
  }
}
