import { createHash } from 'node:crypto';
import { join } from 'node:path';
import {
  attachEvidence,
  signImage,
  type AttachEvidenceResult,
  type EvidenceStore,
  type ImageFacts,
  type ImageSigningKey,
  type ProvenanceInput,
  type SignImageResult,
} from '../../attest/index.ts';
import { KilnError } from '../../errors/index.ts';
import type { Descriptor, Digest } from '../../oci/index.ts';
import type { AssembledImage } from '../assemble-image.ts';
import type { ArchPackageEvidence } from './package-evidence.ts';

/** A file the build read, as provenance names it (relative to the configuration's directory). */
export type BuildInputFile = { readonly uri: string; readonly digest: Digest };

export type ImageEvidenceInput = {
  /** Where the image was just published (its registry repository or layout). */
  readonly store: EvidenceStore;
  readonly image: AssembledImage;
  /** Per architecture, `digest` = that platform's manifest. */
  readonly facts: readonly ImageFacts[];
  readonly evidence: readonly ArchPackageEvidence[];
  readonly key: ImageSigningKey;
  readonly provenance: {
    /** The top configuration file and the digest over it and its includes. */
    readonly config: BuildInputFile;
    /** Every configuration file read (the top one and its includes), each by its own digest. */
    readonly configFiles: readonly BuildInputFile[];
    readonly lockfile?: BuildInputFile;
    readonly tag: string;
    readonly builderId: string;
    readonly toolVersion: string;
    /** Seconds since the epoch: the wall clock, which is right for provenance (never inside the SBOMs). */
    readonly startedOn: number;
    readonly now: () => number;
  };
};

export type ImageEvidenceResult = {
  readonly images: readonly { readonly arch: string; readonly result: AttachEvidenceResult }[];
  readonly index: { readonly digest: Digest; readonly signature: SignImageResult; readonly attestations: number };
};

/**
 * Everything a published image carries, written by kiln in its own process (never in a
 * build sandbox, which never sees the key):
 *
 * - each platform manifest: the SPDX and CycloneDX SBOMs (plain referrers and signed
 *   attestations), the signature in cosign's tag form and as a bundle referrer, and the
 *   SLSA provenance attestation — per platform, because a platform manifest is what runs
 *   and what scanners look at, and its packages are that architecture's;
 * - the index, which is what a tag names and what `cosign sign REPO:TAG` signs: its
 *   signature in both forms, so that `kiln verify` and `cosign verify` pass on the tag.
 *   An image with one platform also gets that platform's SBOMs and provenance on the
 *   index (same packages, subject = the index), so `kiln sbom REPO:TAG` and scanners
 *   given the tag find them. A multi-platform index gets the signature only: an SBOM
 *   lists one architecture's packages, so those stay on the platform manifests
 *   (`REPO@sha256:<platform digest>`).
 *
 * The SBOM bytes depend only on the facts (SOURCE_DATE_EPOCH, digests), so a rebuild
 * attaches identical SBOM referrers; signatures and provenance differ per run.
 */
export async function attachImageEvidence(input: ImageEvidenceInput): Promise<ImageEvidenceResult> {
  const { store, image, key } = input;
  const images: { arch: string; result: AttachEvidenceResult }[] = [];
  for (const built of image.images) {
    const facts = input.facts.find((f) => f.digest === built.manifest.digest);
    const evidence = input.evidence.find((e) => e.arch === built.arch);
    if (facts === undefined || evidence === undefined) throw new KilnError('INPUT_INVALID', `${built.arch}: no SBOM facts for the platform manifest ${built.manifest.digest}`);
    const result = await attachEvidence({ target: store, manifestDigest: facts.digest, facts, key, provenance: provenanceFor(input, [evidence], facts) });
    images.push({ arch: built.arch, result });
  }
  const sole = image.images.length === 1 ? input.facts.find((f) => f.digest === image.images[0]?.manifest.digest) : undefined;
  const sourceDateEpoch = input.facts[0]?.sourceDateEpoch ?? 0;
  if (sole !== undefined) {
    const facts = { ...sole, digest: image.index.digest };
    const result = await attachEvidence({ target: store, manifestDigest: image.index.digest, facts, key, provenance: provenanceFor(input, input.evidence, facts) });
    return { images, index: { digest: image.index.digest, signature: result.signature, attestations: result.attestations.length } };
  }
  const subject: Descriptor = { mediaType: image.index.mediaType, digest: image.index.digest, size: image.index.size };
  const signature = await signImage(store, subject, key, { created: sourceDateEpoch });
  return { images, index: { digest: image.index.digest, signature, attestations: 0 } };
}

function provenanceFor(input: ImageEvidenceInput, evidence: readonly ArchPackageEvidence[], facts: ImageFacts): Omit<ProvenanceInput, 'facts'> {
  const p = input.provenance;
  const indexes = evidence.flatMap((e) => e.indexes);
  const buildEnvironment = [...new Map(indexes.map((i) => [`${i.url}\u0000${i.arch}`, i])).values()].map((i) => ({
    uri: join(i.url, i.arch, 'APKINDEX.tar.gz'),
    digest: { sha256: i.digest.slice('sha256:'.length) },
    name: `APKINDEX ${i.arch}`,
  }));
  const packageRepositories: Record<string, string> = {};
  for (const e of evidence) Object.assign(packageRepositories, e.packageRepositories);
  // the same build of the same image gets related ids; another run, another id
  const invocationId = `kiln-image-build-${createHash('sha256').update(`${p.config.digest}\n${input.image.index.digest}\n${p.startedOn}`).digest('hex').slice(0, 32)}`;
  return {
    builderId: p.builderId,
    builderVersion: { kiln: p.toolVersion },
    imageConfig: p.config,
    externalParameters: {
      configFiles: p.configFiles.map((f) => ({ uri: f.uri, digest: { sha256: f.digest.slice('sha256:'.length) } })),
      ...(p.lockfile !== undefined && { lockfile: { uri: p.lockfile.uri, digest: { sha256: p.lockfile.digest.slice('sha256:'.length) } } }),
      tag: p.tag,
      archs: input.image.images.map((i) => i.arch),
      sourceDateEpoch: facts.sourceDateEpoch,
    },
    internalParameters: { index: input.image.index.digest },
    buildEnvironment,
    packageRepositories,
    invocationId,
    startedOn: p.startedOn,
    finishedOn: Math.max(p.startedOn, p.now()),
  };
}
