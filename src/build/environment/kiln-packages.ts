import { parseApkConstraint, solveApkWorld, type ApkConstraint, type ApkKeyring, type ApkResolvedPackage, type SolverRepository } from '../../apk/index.ts';
import { installOrder, installPackages, readResolvedPackages, RootfsTree, type PackageToInstall } from '../../assemble/rootfs/index.ts';

/** A recipe's environment requests, split by where each package comes from. */
export type RequestSplit = {
  /** Requests kiln's repositories answer (by name or provides, or naming a repository tag), as written. */
  readonly kiln: readonly string[];
  /** The rest, for Debian. */
  readonly other: readonly string[];
};

/**
 * Which requests kiln's own repositories can answer: a request naming a tag (`foo@local`)
 * always, since only a tagged repository can serve it; otherwise a request whose name an
 * untagged repository's package has as its name or among its provides. Conflicts (`!foo`)
 * go to both sides (Debian's mapping drops them). A request that is not an APK constraint at all
 * (a Debian-only spelling such as `gcc=4:12.2.0-3`) stays with Debian.
 */
export function splitEnvironmentRequests(requests: readonly string[], repositories: readonly SolverRepository[]): RequestSplit {
  const untagged = new Set<string>();
  for (const r of repositories) {
    if (r.tag !== undefined) continue;
    for (const e of r.index.entries) {
      untagged.add(e.name);
      for (const p of e.provides) untagged.add(p.name);
    }
  }
  const kiln: string[] = [];
  const other: string[] = [];
  for (const raw of requests) {
    const c = constraintOf(raw);
    if (c === undefined) other.push(raw);
    else if (c.conflict) {
      kiln.push(raw);
      other.push(raw);
    } else if (c.tag !== undefined || untagged.has(c.name)) kiln.push(raw);
    else other.push(raw);
  }
  return { kiln, other };
}

function constraintOf(raw: string): ApkConstraint | undefined {
  try {
    return parseApkConstraint(raw.trim());
  } catch {
    return undefined;
  }
}

/** kiln's packages for one environment: chosen, verified and checked against each other. */
export type KilnPackageSet = {
  /** In install order (every package after those it depends on). */
  readonly resolved: readonly ApkResolvedPackage[];
  /** The same packages read and verified, in the same order. */
  readonly packages: readonly PackageToInstall[];
  /** Per package name: the files (not directories) it puts into the root, by their path in the package. */
  readonly owned: ReadonlyMap<string, ReadonlySet<string>>;
};

/**
 * Solves `requests` against kiln's repositories (PACKAGE_UNKNOWN, UNSATISFIABLE), reads
 * every chosen package and verifies it (signature, data hash, file hashes, and the
 * index's checksum: SIGNATURE_INVALID, DIGEST_MISMATCH), and lays them out in memory the
 * way an image's root filesystem is (FILE_CONFLICT when two of them put different things
 * at one path and neither replaces the other) — all before any environment is built.
 */
export async function prepareKilnPackages(
  requests: readonly string[],
  repositories: readonly SolverRepository[],
  keys: ApkKeyring,
  where: string,
): Promise<KilnPackageSet> {
  const world = requests.map((constraint) => ({ constraint: constraint.trim(), origin: where }));
  const resolution = solveApkWorld(world, repositories);
  const resolved = installOrder(resolution.packages);
  const packages = await readResolvedPackages(resolved, keys);
  const installed = installPackages(new RootfsTree(), packages);
  const owned = new Map<string, ReadonlySet<string>>();
  for (const p of installed) owned.set(p.entry.name, new Set(p.paths.filter((x) => x.kind === 'file').map((x) => x.path)));
  return { resolved, packages, owned };
}
