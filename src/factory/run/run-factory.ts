import { randomUUID } from 'node:crypto';
import { basename, join } from 'node:path';
import { DeflateRunCache, resolveImageSigningKey, type ImageSigningKeySource } from '../../assemble/index.ts';
import { KILN_VERSION } from '../../build/index.ts';
import { KilnError } from '../../errors/index.ts';
import { parseRegistryRef } from '../../oci/index.ts';
import { startRegistry, type RunningRegistry } from '../../registry/index.ts';
import { defaultDatabaseUrl, openDatabase, type KilnDatabase } from '../../store/index.ts';
import type { CatalogError } from '../load-catalog.ts';
import { loadCatalog } from '../load-catalog.ts';
import type { KilnConfig, PublishTarget } from '../kiln-config.ts';
import { resolvePackageRepository, runPackageStage, type PackageStageResult } from '../packages/index.ts';
import type { PlannedItem } from '../plan-cycle.ts';
import type { Trigger } from '../trigger.ts';
import type { AddedRepository } from './image-repositories.ts';
import type { PublishDestination } from './publish-image.ts';
import { runCycle, type CycleRunResult } from './run-cycle.ts';

/** kiln's builder id in the provenance of factory builds. */
export const KILN_FACTORY_BUILDER_ID = `https://kiln.dev/builder/kiln-factory@${KILN_VERSION}`;

/** SOURCE_DATE_EPOCH of factory builds: fixed, so that equal inputs give equal digests. */
export const FACTORY_SOURCE_DATE_EPOCH = 0;

export type RunFactoryOptions = {
  readonly config: KilnConfig;
  readonly now: string;
  readonly trigger: Trigger;
  readonly only?: readonly string[];
  readonly sourceDateEpoch?: number;
  readonly env?: NodeJS.ProcessEnv;
  readonly onResult?: (result: CycleRunResult) => void;
  /** Told when the state's image signing key was created by this run. */
  readonly onKeyGenerated?: (source: ImageSigningKeySource) => void;
  /** The cycle's id (default a new UUID): `kiln serve` hands it out before the cycle starts. */
  readonly cycleId?: string;
  /**
   * An open history database (`kiln serve`'s): used and left open. Without it the run
   * opens the configuration's database and closes it at the end.
   */
  readonly database?: KilnDatabase;
  /**
   * `HOST:PORT` of a registry already serving `<state>/registry` (`kiln serve`'s /v2/):
   * the embedded target publishes there instead of starting a registry for the run.
   */
  readonly registryHost?: string;
  /** Hand `build` items here instead of building them (see RunCycleInput.deferBuilds). */
  readonly deferBuilds?: (item: PlannedItem) => void;
  /** Only these image versions of the plan (see RunCycleInput.onlyItems). */
  readonly onlyItems?: readonly { readonly line: string; readonly variant: string }[];
  /** An `only` name the catalog lacks: a usage error (default), or a failed result beside the others. */
  readonly unknownImages?: 'throw' | 'result';
  /** Load only these entry files of the catalog (names in the catalog directory), not all of it. */
  readonly catalogFiles?: readonly string[];
  /**
   * kiln.yaml `packages:`: `run` (default) brings the repository up to date before the
   * cycle; `reuse` only adds it to the images, for a run whose stage already ran this
   * cycle (a queue's image jobs, after their cycle job ran {@link runPackageStage}).
   */
  readonly packageStage?: 'run' | 'reuse';
  /** Each package stage result (default: a JSON line on stderr). */
  readonly onPackageResult?: (result: PackageStageResult) => void;
  /** The package stage's progress (default: a JSON line on stderr). */
  readonly onPackageLog?: (line: string) => void;
};

export type FactoryRun = {
  readonly cycleId: string;
  readonly results: readonly CycleRunResult[];
  /** Catalog entries that did not load (each also a failed result). */
  readonly catalogErrors: readonly CatalogError[];
  /** Each loaded image's entry file name in the catalog directory (for `catalogFiles`). */
  readonly entryFiles: ReadonlyMap<string, string>;
};

/**
 * `kiln factory run`: one cycle with the configuration's catalog, history database and
 * publish target. With the embedded target, kiln's registry is started on the state
 * directory's storage (`<state>/registry`, the storage `kiln serve` uses; writes there
 * are atomic, so a running `kiln serve` sees each blob and tag whole) on a loopback port
 * for the duration of the run.
 */
export async function runFactory(options: RunFactoryOptions): Promise<FactoryRun> {
  const { config } = options;
  const catalog = await loadCatalog(config.catalogDir, options.catalogFiles !== undefined ? { files: options.catalogFiles } : {});
  const cycleId = options.cycleId ?? randomUUID();
  const unknown: CycleRunResult[] = [];
  for (const name of options.only ?? []) {
    if (catalog.images.some((i) => i.name === name)) continue;
    const why = `no such image in ${config.catalogDir}`;
    if (options.unknownImages !== 'result') throw new KilnError('USAGE', `--image ${name}: ${why} (it has ${catalog.images.map((i) => i.name).join(', ') || 'none'})`);
    unknown.push({ image: name, status: 'failed', reason: why });
  }
  // a broken entry's name is unknown: it is reported when the whole catalog runs
  const failedEntries: CycleRunResult[] = [
    ...(options.only === undefined ? catalog.errors : []).map((e): CycleRunResult => ({ image: e.file, status: 'failed', reason: `${e.error.code}: ${e.error.message}` })),
    ...unknown,
  ];
  for (const r of failedEntries) options.onResult?.(r);
  const store =
    options.database ??
    (await openDatabase({ url: config.database.kind === 'embedded' ? defaultDatabaseUrl(config.stateDir) : config.database.url, owner: 'kiln factory run' }));
  let registry: RunningRegistry | undefined;
  try {
    const addedRepository = await packageStage(options);
    let destinationFor: DestinationFor;
    const publish = config.publish;
    switch (publish.kind) {
      case 'embedded':
        if (options.registryHost !== undefined) {
          destinationFor = embeddedDestination(options.registryHost);
        } else {
          registry = await startRegistry({ storageDir: join(config.stateDir, 'registry'), host: '127.0.0.1', port: 0 });
          destinationFor = embeddedDestination(registry.host);
        }
        break;
      case 'registry':
        destinationFor = prefixDestination(publish);
        break;
      default: {
        const never: never = publish;
        return never;
      }
    }
    let key: Promise<ImageSigningKeySource> | undefined;
    const signingKey = async () => {
      key ??= resolveImageSigningKey({ ...(config.keys.image !== undefined && { signKey: config.keys.image }), env: options.env ?? process.env, stateDir: config.stateDir }).then((k) => {
        if (k.generated !== undefined) options.onKeyGenerated?.(k);
        return k;
      });
      return (await key).key;
    };
    const layerCache = await layerCacheOf(config.stateDir);
    const results = await runCycle({
      db: store.db,
      catalog: catalog.images,
      cycleId,
      now: options.now,
      trigger: options.trigger,
      ...(options.only !== undefined && { only: options.only }),
      assemblerVersion: KILN_VERSION,
      sourceDateEpoch: options.sourceDateEpoch ?? FACTORY_SOURCE_DATE_EPOCH,
      destinationFor,
      signingKey,
      builderId: KILN_FACTORY_BUILDER_ID,
      ...(addedRepository !== undefined && { addedRepository }),
      ...(options.onResult !== undefined && { onResult: options.onResult }),
      ...(options.deferBuilds !== undefined && { deferBuilds: options.deferBuilds }),
      ...(options.onlyItems !== undefined && { onlyItems: options.onlyItems }),
      ...(layerCache !== undefined && { layerCache }),
    });
    const entryFiles = new Map(catalog.images.map((i) => [i.name, basename(i.file)]));
    return { cycleId, results: [...failedEntries, ...results], catalogErrors: catalog.errors, entryFiles };
  } finally {
    await (await layerCacheOf(config.stateDir))?.settle();
    await registry?.close();
    if (options.database === undefined) await store.close();
  }
}

const layerCaches = new Map<string, Promise<DeflateRunCache | undefined>>();

/**
 * The state directory's layer cache (`<state>/cache/layers`), one per process: kiln
 * serve and kiln worker run a cycle per job, and one object measures the cache's size
 * once rather than at every job. Entries are written in the background; a cache that
 * cannot keep them costs only speed.
 */
function layerCacheOf(stateDir: string): Promise<DeflateRunCache | undefined> {
  const dir = join(stateDir, 'cache', 'layers');
  let cache = layerCaches.get(dir);
  if (cache === undefined) {
    // a directory that cannot be made only means no cache: builds compress everything
    cache = DeflateRunCache.open(dir).catch(() => undefined);
    layerCaches.set(dir, cache);
  }
  return cache;
}

/**
 * The package stage before the cycle (after the database is ours, so a busy state fails
 * before minutes of building): its repository is then every image's first. A failed
 * item is only logged; the images that needed it fail in the cycle, unresolvable.
 */
async function packageStage(options: RunFactoryOptions): Promise<AddedRepository | undefined> {
  const { config } = options;
  if (config.packages === undefined) return undefined;
  const withPackages = { ...config, packages: config.packages };
  if (options.packageStage === 'reuse') {
    const { dir, keyFile } = await resolvePackageRepository(withPackages);
    return { dir, keyFile };
  }
  const line = (o: object): void => void process.stderr.write(`${JSON.stringify(o)}\n`);
  const run = await runPackageStage({
    config: withPackages,
    ...(options.env !== undefined && { env: options.env }),
    log: options.onPackageLog ?? ((message) => line({ event: 'package-progress', message })),
    onResult: options.onPackageResult ?? ((r) => line({ event: 'package-result', ...r })),
  });
  return { dir: run.repository.dir, keyFile: run.repository.keyFile };
}

type DestinationFor = (image: string) => { readonly destination: PublishDestination; readonly recordedRepository: string };

/** The embedded registry's port is not part of the image's name, so the history names the repository alone. */
function embeddedDestination(host: string): DestinationFor {
  return (image) => ({ destination: { host, repository: image, insecure: false }, recordedRepository: image });
}

function prefixDestination(publish: PublishTarget & { readonly kind: 'registry' }): DestinationFor {
  return (image) => {
    const ref = parseRegistryRef(`${publish.prefix}/${image}`);
    return {
      destination: { host: ref.host, repository: ref.repository, insecure: publish.insecure, ...(publish.authFile !== undefined && { auth: { path: publish.authFile } }) },
      recordedRepository: `${ref.host}/${ref.repository}`,
    };
  };
}
