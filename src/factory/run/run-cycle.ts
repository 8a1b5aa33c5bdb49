import type { Kysely } from 'kysely';
import type { DeflateRunCache } from '../../assemble/index.ts';
import type { ImageSigningKey } from '../../attest/index.ts';
import { describeError } from '../../errors/index.ts';
import type { Digest } from '../../oci/index.ts';
import { recordCycleResult, type Schema, type Variant } from '../../store/index.ts';
import type { CatalogImage } from '../catalog-image.ts';
import { plannedResult, type CycleResult } from '../cycle-result.ts';
import type { Publication } from '../history-reader.ts';
import { planCycle, type PlannedItem } from '../plan-cycle.ts';
import type { Trigger } from '../trigger.ts';
import { executeBuild } from './execute-build.ts';
import { readImageRepositories, type AddedRepository, type ImageRepositories, type IndexCache } from './image-repositories.ts';
import { repositoryResolver } from './image-resolver.ts';
import type { PublishDestination } from './publish-image.ts';
import { storeHistory } from './store-history.ts';

/** A cycle result with where it belongs and, when published, the tags it got. */
export type CycleRunResult = CycleResult & {
  readonly line?: string;
  readonly variant?: string;
  readonly version?: string;
  /** Every tag pointed at the new digest: version, timestamp, then floating ones. */
  readonly tags?: readonly string[];
  readonly warnings?: readonly string[];
};

export type RunCycleInput = {
  readonly db: Kysely<Schema>;
  readonly catalog: readonly CatalogImage[];
  readonly cycleId: string;
  /** ISO-8601: the cycle's clock (`--now`); publications, tags and results are stamped with it. */
  readonly now: string;
  readonly trigger: Trigger;
  readonly only?: readonly string[];
  readonly assemblerVersion: string;
  readonly sourceDateEpoch: number;
  readonly destinationFor: (image: string) => { readonly destination: PublishDestination; readonly recordedRepository: string };
  /** Asked once, at the first build (a cycle that only skips needs no key). */
  readonly signingKey: () => Promise<ImageSigningKey>;
  readonly builderId: string;
  /** The package stage's repository: every image resolves and installs from it first. */
  readonly addedRepository?: AddedRepository;
  readonly onResult?: (result: CycleRunResult) => void;
  /**
   * Leave builds to others (a job queue's image jobs): each `build` item is handed here
   * instead of being built or recorded; skips and failures are recorded as usual. This is
   * how one process plans and records a whole catalog's skip decisions in one pass.
   */
  readonly deferBuilds?: (item: PlannedItem) => void;
  /** Only these image versions (line and variant) of the plan; the others are neither run nor recorded. */
  readonly onlyItems?: readonly { readonly line: string; readonly variant: string }[];
  /** The layer cache builds share (never changes an image's bytes). */
  readonly layerCache?: DeflateRunCache;
};

/**
 * One factory cycle over a loaded catalog: read each image's repositories and history,
 * plan, then build and publish every `build` item one after another, recording one
 * cycle result per item. A failed item is recorded and the others go on; the previous
 * digest of a failed image version keeps its tags.
 */
export async function runCycle(input: RunCycleInput): Promise<readonly CycleRunResult[]> {
  const only = input.only === undefined ? undefined : new Set(input.only);
  const images = input.catalog.filter((i) => only === undefined || only.has(i.name));
  const repositories = new Map<string, ImageRepositories>();
  const unreadable = new Map<string, unknown>();
  const indexes: IndexCache = new Map();
  for (const image of images) {
    try {
      repositories.set(image.name, await readImageRepositories(image, indexes, input.addedRepository));
    } catch (error) {
      unreadable.set(image.name, error);
    }
  }
  const reader = storeHistory(input.db);
  const history: Publication[] = [];
  for (const image of images) history.push(...(await reader.publications(image.name)));
  const resolve = repositoryResolver(repositories);
  const plan = planCycle({
    catalog: images,
    now: input.now,
    history,
    // an image whose repositories could not be read fails per line, with the reason
    resolve: (target) => {
      const error = unreadable.get(target.image.name);
      if (error !== undefined) throw error;
      return resolve(target);
    },
    assemblerVersion: input.assemblerVersion,
    trigger: input.trigger,
    ...(input.only !== undefined && { only: input.only }),
  });

  const results: CycleRunResult[] = [];
  const wanted = input.onlyItems === undefined ? undefined : new Set(input.onlyItems.map((i) => `${i.line}\0${i.variant}`));
  for (const item of plan.items) {
    if (wanted !== undefined && !wanted.has(`${item.line}\0${item.variant}`)) continue;
    if (input.deferBuilds !== undefined && item.decision.kind === 'build') {
      input.deferBuilds(item);
      continue;
    }
    const result = await runItem(input, item, images, repositories, history);
    await recordCycleResult(input.db, {
      cycleId: input.cycleId,
      image: item.image,
      line: item.line,
      version: item.version ?? `(line ${item.line})`,
      variant: item.variant as Variant,
      status: result.status,
      reason: result.reason,
      digest: result.digest ?? null,
      at: new Date(input.now),
    });
    results.push(result);
    input.onResult?.(result);
  }
  return results;
}

async function runItem(
  input: RunCycleInput,
  item: PlannedItem,
  images: readonly CatalogImage[],
  repositories: ReadonlyMap<string, ImageRepositories>,
  history: Publication[],
): Promise<CycleRunResult> {
  const where = { line: item.line, variant: item.variant, ...(item.version !== undefined && { version: item.version }) };
  const planned = plannedResult(item);
  if (planned !== undefined) return { ...planned, ...where };
  const decision = item.decision;
  const image = images.find((i) => i.name === item.image);
  const repos = repositories.get(item.image);
  if (decision.kind !== 'build' || image === undefined || repos === undefined) {
    return { image: item.label, status: 'failed', reason: 'the plan names an image that was not loaded', ...where };
  }
  try {
    const { destination, recordedRepository } = input.destinationFor(image.name);
    const done = await executeBuild({
      db: input.db,
      image,
      item: { ...item, decision },
      repositories: repos,
      history,
      now: input.now,
      trigger: input.trigger,
      sourceDateEpoch: input.sourceDateEpoch,
      destination,
      recordedRepository,
      signingKey: input.signingKey,
      builderId: input.builderId,
      toolVersion: input.assemblerVersion,
      ...(input.addedRepository !== undefined && { addedRepository: input.addedRepository }),
      ...(input.layerCache !== undefined && { layerCache: input.layerCache }),
    });
    history.push(done.publication);
    return {
      image: item.label,
      status: 'published',
      reason: decision.reason,
      digest: done.published.digest as Digest,
      ...where,
      tags: done.published.tags,
      warnings: [...repos.warnings, ...done.warnings],
    };
  } catch (error) {
    return { image: item.label, status: 'failed', reason: describeError(error), ...where };
  }
}
