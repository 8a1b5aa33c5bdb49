import type { BuiltImage, ImageEvidenceResult } from '../../assemble/index.ts';
import { attachImageEvidence } from '../../assemble/index.ts';
import { RegistryEvidenceStore, type ImageSigningKey } from '../../attest/index.ts';
import { copyByReference, RegistryClient, type CredentialSearch, type Digest, type OciLayout, type RegistryRef } from '../../oci/index.ts';
import type { TagPlan } from '../tag-policy.ts';

/** Where one image goes: a registry repository, and how to talk to it. */
export type PublishDestination = {
  readonly host: string;
  readonly repository: string;
  readonly insecure: boolean;
  readonly auth?: CredentialSearch;
};

export type PublishImageInput = {
  readonly layout: OciLayout;
  /** The layout tag the build wrote. */
  readonly layoutTag: string;
  readonly built: BuiltImage;
  readonly destination: PublishDestination;
  readonly tags: TagPlan;
  readonly key: ImageSigningKey;
  readonly provenance: {
    readonly builderId: string;
    readonly toolVersion: string;
    /** Seconds since the epoch; the cycle's `now`, so a run with `--now` records that time. */
    readonly at: number;
  };
};

export type PublishedImage = {
  readonly digest: Digest;
  readonly evidence: ImageEvidenceResult;
  /** In the order they were applied. */
  readonly tags: readonly string[];
};

/**
 * Publishes a built image so that no tag ever names something incomplete: blobs, then
 * manifests (by digest, untagged), then the evidence (SBOMs, provenance, signatures: they
 * refer to the digest, which the registry now has), then the fixed tags (version,
 * timestamp), then the floating ones. A crash at any point leaves every tag where it
 * was, or on a complete, signed image; what is left untagged is garbage for `kiln
 * registry gc`.
 */
export async function publishImage(input: PublishImageInput): Promise<PublishedImage> {
  const { destination: d, built } = input;
  const digest = built.image.index.digest;
  const client = { insecure: d.insecure };
  const target: RegistryRef = { kind: 'registry', host: d.host, repository: d.repository, digest };
  await copyByReference({ kind: 'layout', dir: input.layout.dir, tag: input.layoutTag }, target, {
    referrers: false,
    client,
    ...(d.auth !== undefined && { auth: d.auth }),
  });
  const registry = await RegistryClient.forHost(d.host, { ...client, ...(d.auth !== undefined && { auth: d.auth }) });
  const store = new RegistryEvidenceStore(registry, d.repository);
  const config = built.configFiles[0];
  const evidence = await attachImageEvidence({
    store,
    image: built.image,
    facts: built.facts,
    evidence: built.evidence,
    key: input.key,
    provenance: {
      config: { uri: config?.uri ?? 'image.yaml', digest: built.configDigest as Digest },
      configFiles: built.configFiles,
      tag: input.tags.versionTag,
      builderId: input.provenance.builderId,
      toolVersion: input.provenance.toolVersion,
      startedOn: input.provenance.at,
      now: () => input.provenance.at,
    },
  });
  const bytes = await input.layout.readBlob(digest, built.image.index.size);
  const mediaType = built.image.index.mediaType;
  const order = [input.tags.versionTag, input.tags.timestampTag, ...input.tags.floating.map((f) => f.tag)];
  for (const tag of order) await registry.putManifest(d.repository, tag, bytes, mediaType, { referrersFallback: false });
  return { digest, evidence, tags: order };
}
