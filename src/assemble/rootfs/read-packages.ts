import { join } from 'node:path';
import { apkFileName, readApkInWorker, readApkInWorkerThen, type ApkFile, type ApkKeyring, type ApkResolvedPackage, type DecodedApk } from '../../apk/index.ts';
import { KilnError } from '../../errors/index.ts';
import type { DeflateRunCache } from '../layer-cache/deflate-run-cache.ts';
import { PREPARE_RUNS_MODULE, unpackPreparedRuns, type PreparedRuns } from '../layer-cache/prepare-runs.ts';
import type { CompressedRun } from '../layer/standalone-run.ts';
import type { PackageToInstall } from './install-packages.ts';

/** What an image build wants prepared for its layer while the packages are read. */
export type LayerPreparation = {
  /** The layer's zlib level. */
  readonly level: number;
  readonly cache?: DeflateRunCache;
};

/**
 * Packages asked for at once: enough that every reader thread has its next package
 * waiting, bounded so that few finished packages wait in memory ahead of their turn.
 */
const CONCURRENCY = 4;

/**
 * Reads each chosen package from its repository (`<dir>/<arch>/<name>-<version>.apk`)
 * and verifies it before anything uses it: the signature against `keys`, the datahash,
 * every file's SHA-1, no path that escapes the root ({@link readApkInWorker}: on reader
 * threads, so the main thread only receives the results), and that the package is the
 * one the signed index named, by its control checksum (`C:`), name and version. Returns
 * them in the order given.
 *
 * With `layer` (an image build), each package's large files also get their compressed
 * runs for the layer on the same reader thread (layer-cache/prepare-runs.ts): from the layer
 * cache when it holds a run that decompresses to exactly the file, else compressed there.
 */
export async function readResolvedPackages(packages: readonly ApkResolvedPackage[], keys: ApkKeyring, layer?: LayerPreparation): Promise<PackageToInstall[]> {
  const out = new Array<PackageToInstall>(packages.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < packages.length) {
      const i = next++;
      const p = packages[i];
      if (p === undefined) continue;
      const file = join(p.repository.url, p.repository.arch, apkFileName(p.entry));
      let apk: DecodedApk;
      let runs: ReadonlyMap<ApkFile, CompressedRun> | undefined;
      if (layer === undefined) apk = await readApkInWorker(file, { keys });
      else {
        const read = await readApkInWorkerThen(file, { keys }, { module: PREPARE_RUNS_MODULE, options: { level: layer.level, ...(layer.cache && { cacheDir: layer.cache.dir }) } });
        apk = read.apk;
        const prepared = read.after as PreparedRuns;
        layer.cache?.record(prepared.stats);
        runs = unpackPreparedRuns(apk, prepared);
      }
      if (apk.checksum !== p.entry.checksum) {
        throw new KilnError(
          'DIGEST_MISMATCH',
          `${file}: the package's control checksum is ${apk.checksum}, but the repository index lists ${p.entry.name}-${p.entry.version} with C:${p.entry.checksum}`,
        );
      }
      if (apk.info.name !== p.entry.name || apk.info.version !== p.entry.version) {
        throw new KilnError('PACKAGE_INVALID', `${file}: holds ${apk.info.name}-${apk.info.version}, the index says ${p.entry.name}-${p.entry.version}`);
      }
      out[i] = { entry: p.entry, apk, ...(runs !== undefined && { runs }) };
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, packages.length) }, worker));
  return out;
}

/**
 * The order apk installs in: every package after the packages it depends on, ties (and
 * cycles) broken by name, so the order is the same on every machine.
 */
export function installOrder(packages: readonly ApkResolvedPackage[]): ApkResolvedPackage[] {
  const byName = new Map(packages.map((p) => [p.entry.name, p]));
  const done = new Set<string>();
  const visiting = new Set<string>();
  const order: ApkResolvedPackage[] = [];
  const visit = (p: ApkResolvedPackage): void => {
    const name = p.entry.name;
    if (done.has(name) || visiting.has(name)) return;
    visiting.add(name);
    for (const dep of p.dependencies) {
      const d = byName.get(dep);
      if (d !== undefined) visit(d);
    }
    visiting.delete(name);
    done.add(name);
    order.push(p);
  };
  for (const p of packages) visit(p); // resolution packages are sorted by name
  return order;
}
