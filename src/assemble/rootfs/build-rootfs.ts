import {
  indexPathFor,
  readApkIndex,
  resolveLocked,
  solveApkWorld,
  type ApkKeyring,
  type ApkLockEntry,
  type ApkResolution,
  type ApkWorldEntry,
  type SolverRepository,
} from '../../apk/index.ts';
import type { Arch } from '../arch.ts';
import type { FsEntry } from '../fs-entry.ts';
import type { ImageSpec } from '../image-spec.ts';
import { applyPathMutations } from './apply-path-mutations.ts';
import { installPackages } from './install-packages.ts';
import type { InstalledPackage } from './installed-db.ts';
import { installOrder, readResolvedPackages, type LayerPreparation } from './read-packages.ts';
import { RootfsTree } from './rootfs-tree.ts';
import { addSystemFiles } from './system-files.ts';

/** A local repository: `<dir>/<arch>/APKINDEX.tar.gz` beside the packages; tagged ones serve `pkg@tag` only. */
export type LocalRepository = { readonly dir: string; readonly tag?: string };

export type BuildRootfsInput = {
  readonly spec: ImageSpec;
  readonly arch: Arch;
  readonly repositories: readonly LocalRepository[];
  /** Trusted keys: every index and package must be signed by one of them. */
  readonly keys: ApkKeyring;
  /** Shown in world origins and errors, e.g. `image.yaml` → `image.yaml contents.packages[2]`. */
  readonly configName: string;
  /** Rebuild exactly these packages (a lockfile) instead of solving. */
  readonly lock?: readonly ApkLockEntry[];
  readonly sourceDateEpoch: number;
  /** For an image build: prepare the layer's compressed runs while the packages are read (see readResolvedPackages). */
  readonly layer?: LayerPreparation;
};

export type BuiltRootfs = {
  readonly arch: Arch;
  readonly entries: readonly FsEntry[];
  readonly resolution: ApkResolution;
  /** In install order, with the paths each owns (what lib/apk/db/installed says). */
  readonly installed: readonly InstalledPackage[];
  /** Package name → SHA-256 of the .apk file whose bytes were verified and installed. */
  readonly packageSha256?: ReadonlyMap<string, string>;
};

/** The world of a configuration: `contents.packages`, each with where it was written. */
export function worldOf(spec: ImageSpec, configName: string): ApkWorldEntry[] {
  return spec.contents.packages.map((p, i) => ({ constraint: p.constraint, origin: `${configName} contents.packages[${i}]` }));
}

/** Reads every repository's signed index for one architecture. */
export async function readLocalRepositories(repositories: readonly LocalRepository[], arch: Arch, keys: ApkKeyring): Promise<SolverRepository[]> {
  return Promise.all(
    repositories.map(async (r) => ({
      url: r.dir,
      arch,
      index: await readApkIndex(indexPathFor(r.dir, arch), { keys }),
      ...(r.tag !== undefined && { tag: r.tag }),
    })),
  );
}

/**
 * One architecture's root filesystem from a configuration: solve the world (or take a
 * lockfile's set), read and verify each package, install them in dependency order
 * (see {@link installPackages}), add the files apk and apko generate
 * ({@link addSystemFiles}), then apply `paths:`. Nothing touches the disk; the result
 * goes to `assembleImage`. No shell is added: the image holds what the packages bring.
 */
export async function buildRootfs(input: BuildRootfsInput): Promise<BuiltRootfs> {
  const repos = await readLocalRepositories(input.repositories, input.arch, input.keys);
  const world = worldOf(input.spec, input.configName);
  const resolution = input.lock !== undefined ? resolveLocked(input.lock, repos, world) : solveApkWorld(world, repos);
  const order = installOrder(resolution.packages);
  const packages = await readResolvedPackages(order, input.keys, input.layer);
  const tree = new RootfsTree();
  const installed = installPackages(tree, packages);
  addSystemFiles(tree, { spec: input.spec, arch: input.arch, installed, keys: input.keys, sourceDateEpoch: input.sourceDateEpoch });
  applyPathMutations(tree, input.spec.paths);
  const packageSha256 = new Map(packages.flatMap((p) => (p.apk.fileSha256 !== undefined ? [[p.entry.name, p.apk.fileSha256] as const] : [])));
  return { arch: input.arch, entries: tree.entries(), resolution, installed, packageSha256 };
}
