import { solveApkWorld, type ApkVersion, type ApkWorldEntry } from '../../apk/index.ts';
import type { Arch, ImageLockfile } from '../../assemble/index.ts';
import { KilnError } from '../../errors/index.ts';
import type { ResolvedPackage } from '../input-fingerprint.ts';
import type { ResolveTarget, Resolver } from '../plan-cycle.ts';
import type { ImageRepositories } from './image-repositories.ts';

/**
 * The world of one image version: the configuration's `contents.packages`, the
 * variant's `add-packages`, and the line's constraints on the primary package, each
 * with where it was written (the solver's errors name it).
 */
export function worldOfTarget(target: ResolveTarget): ApkWorldEntry[] {
  const { image, line, variant } = target;
  return [
    ...image.spec.contents.packages.map((p, i) => ({ constraint: p.constraint, origin: `${image.configFile} contents.packages[${i}]` })),
    ...variant.addPackages.map((p, i) => ({ constraint: p, origin: `${image.file} variants.${variant.name}.add-packages[${i}]` })),
    ...line.constraints.map((c) => ({ constraint: c, origin: `${image.file} lines ${line.name} (${line.constraint})` })),
  ];
}

/**
 * The planner's resolver over repositories read beforehand ({@link readImageRepositories}):
 * per architecture, the solver's choice for the target's world, every package with its
 * APK checksum and architecture. Throws what the solver throws (UNSATISFIABLE, …), which
 * the planner turns into a failed item.
 */
export function repositoryResolver(repositories: ReadonlyMap<string, ImageRepositories>): Resolver {
  return (target) => {
    const repos = repositories.get(target.image.name);
    if (repos === undefined) throw new KilnError('NOT_FOUND', `${target.image.name}: its repositories were not read`);
    const world = worldOfTarget(target);
    const out: ResolvedPackage[] = [];
    for (const arch of repos.archs) {
      const resolution = solveApkWorld(world, repos.byArch.get(arch) ?? []);
      for (const p of resolution.packages) out.push({ name: p.entry.name, version: p.entry.version as ApkVersion, checksum: p.entry.checksum, arch });
    }
    return out;
  };
}

/**
 * The resolution as a lockfile, so that the build installs exactly the packages the
 * fingerprint was made of (the line's constraint and the variant's packages included,
 * which the configuration alone does not know).
 */
export function lockfileOfResolution(configDigest: string, packages: readonly ResolvedPackage[]): ImageLockfile {
  const archs: Partial<Record<Arch, { name: string; version: string; checksum: string }[]>> = {};
  for (const p of packages) {
    if (p.arch === undefined) throw new KilnError('INPUT_INVALID', `${p.name}-${p.version}: resolved without an architecture`);
    const arch = p.arch as Arch;
    (archs[arch] ??= []).push({ name: p.name, version: p.version, checksum: p.checksum });
  }
  return { lockfileVersion: 1, configDigest, archs };
}
