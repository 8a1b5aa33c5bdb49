import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { buildImage, configDigestOf, loadImageConfig, type DeflateRunCache } from '../../assemble/index.ts';
import type { ImageSigningKey } from '../../attest/index.ts';
import { OciLayout } from '../../oci/index.ts';
import { diffPackageLists, digestPackages, recordPublication, type PackageRecord, type Schema, type Variant } from '../../store/index.ts';
import type { CatalogImage } from '../catalog-image.ts';
import { newestPublication, type Publication } from '../history-reader.ts';
import type { PlannedItem } from '../plan-cycle.ts';
import { planTags, type TagPlan } from '../tag-policy.ts';
import type { Trigger } from '../trigger.ts';
import type { AddedRepository, ImageRepositories } from './image-repositories.ts';
import { lockfileOfResolution } from './image-resolver.ts';
import { publishImage, type PublishDestination, type PublishedImage } from './publish-image.ts';

export type ExecuteBuildInput = {
  readonly db: Kysely<Schema>;
  readonly image: CatalogImage;
  readonly item: PlannedItem & { readonly decision: { readonly kind: 'build' } };
  readonly repositories: ImageRepositories;
  /** Every publication of the image so far, this cycle's included. */
  readonly history: readonly Publication[];
  readonly now: string;
  readonly trigger: Trigger;
  readonly sourceDateEpoch: number;
  readonly destination: PublishDestination;
  /** How the history database names the repository in its tag records. */
  readonly recordedRepository: string;
  readonly signingKey: () => Promise<ImageSigningKey>;
  readonly builderId: string;
  readonly toolVersion: string;
  /** Installed from before the configuration's own repositories, as the resolver saw it. */
  readonly addedRepository?: AddedRepository;
  /** The layer cache (never changes the image's bytes). */
  readonly layerCache?: DeflateRunCache;
};

export type ExecutedBuild = {
  readonly publication: Publication;
  readonly published: PublishedImage;
  readonly tags: TagPlan;
  readonly warnings: readonly string[];
};

/**
 * One planned build, end to end: assemble the image from exactly the planned packages
 * (the resolution as a lockfile) in a temporary layout, decide its tags, publish it
 * (see {@link publishImage} for the order), then record the publication with its
 * packages and its changes against the previous digest. Throws on any failure; the
 * caller turns that into a failed result, and the previous digest keeps its tags.
 */
export async function executeBuild(input: ExecuteBuildInput): Promise<ExecutedBuild> {
  const { image, item, now } = input;
  const decision = item.decision;
  const variant = item.variant as Variant;
  const { files } = await loadImageConfig(image.configFile);
  const lockfile = lockfileOfResolution(await configDigestOf(files), decision.inputs.packages);
  const work = await mkdtemp(join(tmpdir(), 'kiln-factory-'));
  try {
    const layout = await OciLayout.open(join(work, 'layout'), { create: true });
    const layoutTag = 'factory-build';
    const built = await buildImage({
      configFile: image.configFile,
      repos: input.addedRepository === undefined ? [] : [input.addedRepository.dir],
      keyrings: input.addedRepository === undefined ? [] : [input.addedRepository.keyFile],
      archs: input.repositories.archs,
      lock: { file: `${item.label} (planned resolution)`, lockfile },
      sourceDateEpoch: input.sourceDateEpoch,
      layout,
      tag: layoutTag,
      identity: { name: image.name, repository: `${input.destination.host}/${input.destination.repository}` },
      toolVersion: input.toolVersion,
      ...(input.layerCache !== undefined && { layerCache: input.layerCache }),
    });
    const digest = built.image.index.digest;
    const tags = planTags(input.history, { image: image.name, line: item.line, variant, primaryVersion: decision.primaryVersion, digest, at: now }, image.tags);
    const key = await input.signingKey();
    const at = Math.floor(Date.parse(now) / 1000);
    const published = await publishImage({
      layout,
      layoutTag,
      built,
      destination: input.destination,
      tags,
      key,
      provenance: { builderId: input.builderId, toolVersion: input.toolVersion, at },
    });

    const packages: PackageRecord[] = built.rootfs.flatMap((r) =>
      r.resolution.packages.map((p) => ({ name: p.entry.name, version: p.entry.version, arch: r.arch, checksum: p.entry.checksum, origin: p.entry.origin ?? p.entry.name })),
    );
    const mine = input.history.filter((p) => p.image === image.name && p.variant === variant);
    const previous = newestPublication(mine.filter((p) => p.version === tags.version)) ?? newestPublication(mine.filter((p) => p.line === item.line));
    const before = previous === undefined ? undefined : await digestPackages(input.db, previous.digest);
    await recordPublication(input.db, {
      image: image.name,
      line: item.line,
      version: tags.version,
      variant,
      digest,
      timestampTag: tags.timestampTag,
      publishedAt: new Date(now),
      trigger: input.trigger,
      reason: decision.reason,
      inputFingerprint: decision.fingerprint,
      inputs: decision.inputs,
      primaryVersion: decision.primaryVersion,
      previousDigest: previous?.digest ?? null,
      packages,
      changes: diffPackageLists(before?.packages ?? [], packages),
      tags: tags.tags.map((tag) => ({ repository: input.recordedRepository, tag })),
    });
    const publication: Publication = {
      image: image.name,
      line: item.line,
      variant,
      version: tags.version,
      primaryVersion: decision.primaryVersion,
      digest,
      publishedAt: new Date(now).toISOString(),
      tags: [tags.versionTag, tags.timestampTag].sort(),
      fingerprint: decision.fingerprint,
      inputs: decision.inputs,
    };
    return { publication, published, tags, warnings: built.warnings };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
