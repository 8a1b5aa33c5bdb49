import { KilnError } from '../errors/index.ts';
import { comparePaths } from './apk-file.ts';
import { buildResolution, type ApkResolution } from './solver-result.ts';
import { describeRequirement } from './solver-explain.ts';
import { buildUniverse, meets, repositoryLabel, type Candidate, type Requirement, type SolverRepository } from './solver-universe.ts';
import { worldRequirements, type ApkWorldEntry } from './solver-world.ts';

/** One package of a lockfile: exactly this build, identified by its APKINDEX checksum. */
export type ApkLockEntry = {
  readonly name: string;
  readonly version: string;
  /** `C:` of the package: `Q1` + base64 SHA-1 of its control stream. */
  readonly checksum: string;
  /** Where the entry is written, e.g. `kiln.lock packages[3]`; defaults to `lockfile`. */
  readonly origin?: string;
};

/** The lock entries for a resolution, sorted by name: what `--lockfile` writes. */
export function lockEntriesOf(resolution: ApkResolution): ApkLockEntry[] {
  return resolution.packages.map((p) => ({ name: p.entry.name, version: p.entry.version, checksum: p.entry.checksum }));
}

/**
 * Selects exactly the packages of a lockfile, for hermetic rebuilds: each must be in a
 * repository with the same version and checksum (LOCK_MISMATCH otherwise; PACKAGE_UNKNOWN
 * when no repository has the name). The set is then checked: every dependency met
 * inside it, no conflicts, no two packages taking one name and, when a world is given,
 * every world constraint met, so a stale lockfile fails instead of building something else.
 */
export function resolveLocked(lock: readonly ApkLockEntry[], repositories: readonly SolverRepository[], world: readonly ApkWorldEntry[] = []): ApkResolution {
  const universe = buildUniverse(repositories);
  const requirements = worldRequirements(world);
  const searched = universe.repositories.map(repositoryLabel).join(', ') || 'no repositories given';
  const originOf = (e: ApkLockEntry): string => e.origin ?? 'lockfile';

  const seen = new Map<string, ApkLockEntry>();
  for (const e of lock) {
    const before = seen.get(e.name);
    if (before) throw new KilnError('INPUT_INVALID', `${originOf(e)}: ${e.name} is locked twice (also at ${originOf(before)})`);
    seen.set(e.name, e);
  }

  const unknown: string[] = [];
  const mismatched: string[] = [];
  const chosen: Candidate[] = [];
  const lockOf = new Map<Candidate, ApkLockEntry>();
  for (const e of [...lock].sort((a, b) => comparePaths(a.name, b.name))) {
    const own = universe.providers(e.name).map((p) => p.candidate).filter((c) => c.entry.name === e.name);
    const sameVersion = own.filter((c) => c.entry.version === e.version);
    const exact = sameVersion.find((c) => c.entry.checksum === e.checksum);
    if (own.length === 0) unknown.push(`${originOf(e)}: ${e.name}`);
    else if (sameVersion.length === 0) {
      const versions = [...new Set(own.map((c) => c.entry.version))].join(', ');
      mismatched.push(`${originOf(e)}: ${e.name}-${e.version} is not in the repositories, which have ${e.name} ${versions}`);
    } else if (exact === undefined) {
      const found = sameVersion.map((c) => `${c.entry.checksum} in ${repositoryLabel(c.repository)}`).join(', ');
      mismatched.push(`${originOf(e)}: ${e.name}-${e.version} is locked with checksum ${e.checksum}, but the repositories have ${found}`);
    } else {
      chosen.push(exact);
      lockOf.set(exact, e);
    }
  }
  if (unknown.length > 0) throw new KilnError('PACKAGE_UNKNOWN', `unknown package in the lockfile: ${unknown.join('; ')} (searched ${searched})`);
  if (mismatched.length > 0) throw new KilnError('LOCK_MISMATCH', `the lockfile does not match the repositories: ${mismatched.join('; ')}`);

  const problems = inconsistencies(chosen, requirements);
  if (problems.length > 0) throw new KilnError('LOCK_MISMATCH', `the locked packages are not a consistent set (regenerate the lockfile): ${problems.join('; ')}`);
  return buildResolution(chosen, requirements, (c) => [{ kind: 'lock', origin: originOf(lockOf.get(c) as ApkLockEntry) }]);
}

/** What keeps a fixed set of packages from being installable together with the world. */
function inconsistencies(chosen: readonly Candidate[], world: readonly Requirement[]): string[] {
  const holders = new Map<string, { c: Candidate; version: string | undefined }[]>();
  const problems: string[] = [];
  for (const c of chosen) {
    for (const n of c.names) {
      const list = holders.get(n.name) ?? [];
      const clash = list.find((h) => !(h.version === undefined && n.version === undefined));
      if (clash) problems.push(`${clash.c.label} and ${c.label} both provide ${n.name}`);
      list.push({ c, version: n.version });
      holders.set(n.name, list);
    }
  }
  const check = (r: Requirement): void => {
    const hs = holders.get(r.constraint.name) ?? [];
    if (r.constraint.conflict) {
      for (const h of hs) if (h.c !== sourceOf(r) && !meets(h.c, r.constraint)) problems.push(`${h.c.label} conflicts with ${describeRequirement(r)}`);
    } else if (!hs.some((h) => meets(h.c, r.constraint))) {
      problems.push(`nothing locked meets ${describeRequirement(r)}`);
    }
  };
  for (const r of world) check(r);
  for (const c of chosen) for (const r of [...c.requirements, ...c.conflicts]) check(r);
  return problems;
}

function sourceOf(r: Requirement): Candidate | undefined {
  return r.source.kind === 'world' ? undefined : r.source.candidate;
}
