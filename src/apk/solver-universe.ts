import { comparePaths } from './apk-file.ts';
import type { ApkIndexEntry, Repository } from './apkindex.ts';
import { formatApkConstraint, satisfies, type ApkConstraint } from './constraint.ts';
import { compareApkVersions, type ApkVersion } from './version.ts';

/**
 * A repository the solver may choose from. A tagged repository (`@local DIR` in an
 * image config) only serves constraints that name its tag (`foo@local`), and the
 * dependencies of packages taken from it, as apk does.
 */
export type SolverRepository = Repository & { readonly tag?: string };

/** A name a package takes when installed: its own (versioned) or a provide (versioned or not). */
export type Occupied = { readonly name: string; readonly version: ApkVersion | undefined };

/** Where a requirement or conflict comes from. */
export type RequirementSource =
  | { readonly kind: 'world'; readonly origins: readonly string[] }
  | { readonly kind: 'package'; readonly candidate: Candidate }
  | { readonly kind: 'install-if'; readonly candidate: Candidate };

/** One constraint to meet (or, with `conflict`, to respect), with where it came from. */
export type Requirement = {
  readonly constraint: ApkConstraint;
  readonly text: string;
  readonly source: RequirementSource;
  /** Tags whose repositories may serve this requirement, besides untagged ones. */
  readonly allowedTags: readonly string[];
  /** Packages from this tag's repositories come first; undefined: untagged ones first. */
  readonly preferredTag: string | undefined;
};

/** One package in one repository: what the solver chooses between. */
export type Candidate = {
  readonly id: number;
  readonly entry: ApkIndexEntry;
  readonly repository: SolverRepository;
  readonly label: string;
  /** Own name first, then provides (one per name). */
  readonly names: readonly Occupied[];
  readonly requirements: readonly Requirement[];
  readonly conflicts: readonly Requirement[];
};

type Provider = { readonly candidate: Candidate; readonly version: ApkVersion | undefined };

export type Universe = {
  readonly repositories: readonly SolverRepository[];
  readonly candidates: readonly Candidate[];
  /** Every package that takes the name, best first (before tag preferences). */
  providers(name: string): readonly Provider[];
  /** Packages with install_if rules, by name then preference. */
  readonly installIf: readonly Candidate[];
};

export function candidateTag(c: Candidate): string | undefined {
  return c.repository.tag;
}

/** Whether the candidate, installed, meets the constraint's name and version (tags aside). */
export function meets(c: Candidate, constraint: ApkConstraint): boolean {
  const occ = c.names.find((n) => n.name === constraint.name);
  if (occ === undefined) return constraint.conflict;
  return satisfies(constraint, occ.name, occ.version, c.entry.checksum);
}

/** Whether the candidate's repository may serve the requirement. */
export function tagAllowed(c: Candidate, r: Requirement): boolean {
  const tag = candidateTag(c);
  return tag === undefined || r.allowedTags.includes(tag);
}

/** A repository as an `/etc/apk/repositories` line names it: `DIR`, or `@tag DIR` for a tagged one. */
export function repositoryLabel(r: { readonly url: string; readonly tag?: string | undefined }): string {
  return r.tag !== undefined ? `@${r.tag} ${r.url}` : r.url;
}

function compareOptionalVersions(a: ApkVersion | undefined, b: ApkVersion | undefined): number {
  if (a === undefined || b === undefined) return (a === undefined ? 0 : 1) - (b === undefined ? 0 : 1);
  return compareApkVersions(a, b);
}

/**
 * The preference between providers of one name: the package of that name, then the
 * highest provider_priority, then the newest provided version, the newest package,
 * and last a fixed order (name, checksum, repository) so ties never depend on input order.
 */
function compareProviders(name: string, a: Provider, b: Provider): number {
  const ea = a.candidate.entry;
  const eb = b.candidate.entry;
  return (
    Number(eb.name === name) - Number(ea.name === name) ||
    (eb.providerPriority ?? 0) - (ea.providerPriority ?? 0) ||
    compareOptionalVersions(b.version, a.version) ||
    compareApkVersions(eb.version, ea.version) ||
    comparePaths(ea.name, eb.name) ||
    comparePaths(ea.checksum, eb.checksum) ||
    comparePaths(a.candidate.repository.tag ?? '', b.candidate.repository.tag ?? '') ||
    comparePaths(a.candidate.repository.url, b.candidate.repository.url)
  );
}

function compareRepositories(a: SolverRepository, b: SolverRepository): number {
  return comparePaths(a.tag ?? '', b.tag ?? '') || comparePaths(a.url, b.url);
}

/** What a package's dependency asks for, and which repositories may serve it. */
function packageRequirement(constraint: ApkConstraint, candidate: Candidate, tag: string | undefined): Requirement {
  // a package from a tagged repository may pull its dependencies from that repository too
  const allowed = [...new Set([tag, constraint.tag].filter((t): t is string => t !== undefined))].sort(comparePaths);
  return { constraint, text: formatApkConstraint(constraint), source: { kind: 'package', candidate }, allowedTags: allowed, preferredTag: constraint.tag };
}

type MutableCandidate = { -readonly [K in keyof Candidate]: Candidate[K] };

/** Indexes every package of every repository by the names it takes. */
export function buildUniverse(repositories: readonly SolverRepository[]): Universe {
  const repos = [...repositories].sort(compareRepositories);
  const rows = repos.flatMap((repository) => repository.index.entries.map((entry) => ({ entry, repository })));
  // ids follow one fixed order, so everything keyed by them is independent of input order
  rows.sort(
    (a, b) =>
      comparePaths(a.entry.name, b.entry.name) ||
      compareApkVersions(b.entry.version, a.entry.version) ||
      comparePaths(a.entry.checksum, b.entry.checksum) ||
      compareRepositories(a.repository, b.repository),
  );
  const byName = new Map<string, Provider[]>();
  const candidates: Candidate[] = rows.map(({ entry, repository }, id) => {
    const names: Occupied[] = [{ name: entry.name, version: entry.version }];
    for (const p of entry.provides) {
      if (names.some((n) => n.name === p.name)) continue;
      names.push({ name: p.name, version: p.match.kind === 'version' ? p.match.version : undefined });
    }
    const c: MutableCandidate = { id, entry, repository, label: `${entry.name}-${entry.version}`, names, requirements: [], conflicts: [] };
    c.requirements = entry.depends.filter((d) => !d.conflict).map((d) => packageRequirement(d, c, repository.tag));
    c.conflicts = entry.depends.filter((d) => d.conflict).map((d) => packageRequirement(d, c, repository.tag));
    for (const n of names) {
      const list = byName.get(n.name) ?? [];
      list.push({ candidate: c, version: n.version });
      byName.set(n.name, list);
    }
    return c;
  });
  for (const [name, list] of byName) list.sort((a, b) => compareProviders(name, a, b));
  const installIf = candidates
    .filter((c) => c.entry.installIf.length > 0)
    .sort((a, b) => {
      const own = (c: Candidate): Provider => ({ candidate: c, version: c.entry.version });
      return comparePaths(a.entry.name, b.entry.name) || compareProviders(a.entry.name, own(a), own(b));
    });
  return { repositories: repos, candidates, providers: (name) => byName.get(name) ?? [], installIf };
}

/**
 * The candidates that may serve a requirement, in the order to try them: the
 * requirement's preferred tag first (apk's pinning preference), then provider order.
 * With `anyTag`, candidates from every repository (the search checks tags itself).
 */
export function rankFor(universe: Universe, r: Requirement, anyTag = false): Candidate[] {
  const eligible = universe.providers(r.constraint.name).map((p) => p.candidate).filter((c) => meets(c, r.constraint) && (anyTag || tagAllowed(c, r)));
  const preferred = (c: Candidate): boolean => candidateTag(c) === r.preferredTag;
  return [...eligible.filter(preferred), ...eligible.filter((c) => !preferred(c))];
}
