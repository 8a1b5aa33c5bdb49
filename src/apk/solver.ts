import { KilnError } from '../errors/index.ts';
import { comparePaths } from './apk-file.ts';
import { describeRequirement, explainFailure, explainRequirement } from './solver-explain.ts';
import { buildResolution, installIfReason, type ApkResolution } from './solver-result.ts';
import { search } from './solver-search.ts';
import { findExclusions } from './solver-static.ts';
import { buildUniverse, rankFor, repositoryLabel, type Requirement, type SolverRepository, type Universe } from './solver-universe.ts';
import { worldRequirements, type ApkWorldEntry } from './solver-world.ts';

export type SolveOptions = {
  /** Add packages whose install_if conditions the chosen set meets (default true). */
  readonly installIf?: boolean;
  /** Give up after this many search steps (default 100000); ordinary worlds need a few hundred. */
  readonly maxSteps?: number;
};

/**
 * Chooses a consistent set of packages with the newest allowed versions for a world
 * (`busybox`, `nginx>=1.27`, `so:libssl.so.3`, `!bash`, `foo@local`).
 *
 * Per name, candidates are tried in this order: the constraint's repository tag, the
 * package named like the requirement, the highest provider_priority, the newest
 * version, then name and checksum. A package from a tagged repository is chosen only
 * for a constraint naming that tag or for a dependency of a package from that
 * repository. Two packages may share a name only if both provide it without a version.
 * When the newest choice leads to a conflict, older ones are tried.
 *
 * Throws PACKAGE_UNKNOWN for world names no repository has, UNSATISFIABLE (naming the
 * clashing constraints and their origins) when no set of packages fits.
 */
export function solveApkWorld(world: readonly ApkWorldEntry[], repositories: readonly SolverRepository[], options: SolveOptions = {}): ApkResolution {
  const requirements = worldRequirements(world);
  const universe = buildUniverse(repositories);
  assertKnown(universe, requirements);

  const exclusions = findExclusions(universe, requirements);
  const dead = requirements.filter((r) => !r.constraint.conflict && !rankFor(universe, r).some((c) => !exclusions.has(c)));
  if (dead.length > 0) {
    const items = dead.map((r) => `${describeRequirement(r)}: ${explainRequirement(universe, exclusions, r)}`);
    throw new KilnError('UNSATISFIABLE', `no set of packages satisfies: ${items.join('; ')}`);
  }

  const outcome = search(universe, exclusions, requirements, { installIf: options.installIf ?? true, maxSteps: options.maxSteps ?? 100_000 });
  if (!outcome.ok) {
    const why = outcome.failure ? explainFailure(universe, exclusions, outcome.failure) : 'no candidates';
    const message = outcome.gaveUp
      ? `no set of packages found within ${outcome.steps - 1} search steps; first dead end: ${why}`
      : `no set of packages satisfies: ${why}`;
    throw new KilnError('UNSATISFIABLE', message);
  }
  return buildResolution(outcome.chosen, requirements, (c) => (outcome.chosenFor.get(c)?.source.kind === 'install-if' ? [installIfReason(c)] : []));
}

/** PACKAGE_UNKNOWN for world names that no package in any repository takes. */
function assertKnown(universe: Universe, requirements: readonly Requirement[]): void {
  const unknown = requirements.filter((r) => !r.constraint.conflict && universe.providers(r.constraint.name).length === 0);
  if (unknown.length === 0) return;
  const searched = universe.repositories.map(repositoryLabel).join(', ') || 'no repositories given';
  const allNames = [...new Set(universe.candidates.flatMap((c) => c.names.map((n) => n.name)))];
  const items = unknown.map((r) => {
    const similar = similarNames(r.constraint.name, allNames);
    return `${describeRequirement(r)}: no package provides ${r.constraint.name}${similar.length > 0 ? ` (did you mean ${similar.join(', ')}?)` : ''}`;
  });
  throw new KilnError('PACKAGE_UNKNOWN', `unknown package: ${items.join('; ')} (searched ${searched})`);
}

/** Up to three names within two edits of `name`, closest first. */
function similarNames(name: string, names: readonly string[]): string[] {
  return names
    .map((n) => ({ n, d: editDistance(name, n, 2) }))
    .filter((x) => x.d <= 2)
    .sort((a, b) => a.d - b.d || comparePaths(a.n, b.n))
    .slice(0, 3)
    .map((x) => x.n);
}

/** Levenshtein distance, cut off above `max` (returns max + 1). */
function editDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row.push(Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost));
    }
    if (Math.min(...row) > max) return max + 1;
    prev = row;
  }
  return prev[b.length] ?? max + 1;
}
