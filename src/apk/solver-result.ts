import { comparePaths } from './apk-file.ts';
import type { ApkIndexEntry } from './apkindex.ts';
import { formatApkConstraint } from './constraint.ts';
import { meets, type Candidate, type Requirement } from './solver-universe.ts';

/** Why a package is in the result: for SBOM DEPENDS_ON relations and for lockfiles. */
export type ApkSelectionReason =
  | { readonly kind: 'world'; readonly constraint: string; readonly origin: string }
  /** `by` (a chosen package's name) depends on `constraint`, which this package meets. */
  | { readonly kind: 'dependency'; readonly constraint: string; readonly by: string }
  /** Every install_if condition of this package is met by the chosen set. */
  | { readonly kind: 'install-if'; readonly conditions: readonly string[] }
  /** Named by a lockfile. */
  | { readonly kind: 'lock'; readonly origin: string };

export type ApkResolvedPackage = {
  readonly entry: ApkIndexEntry;
  /** The repository the package comes from (its url is what was given to the solver). */
  readonly repository: { readonly url: string; readonly arch: string; readonly tag?: string };
  /** Sorted: world first, then dependencies (by package name), install_if, lock. */
  readonly reasons: readonly ApkSelectionReason[];
  /** Names of the chosen packages that meet this package's dependencies, sorted. */
  readonly dependencies: readonly string[];
};

/** The chosen packages, sorted by name (each name appears once). */
export type ApkResolution = { readonly packages: readonly ApkResolvedPackage[] };

const KIND_ORDER: Readonly<Record<ApkSelectionReason['kind'], number>> = { world: 0, dependency: 1, 'install-if': 2, lock: 3 };

function reasonKey(r: ApkSelectionReason): string {
  switch (r.kind) {
    case 'world':
      return `${r.constraint}\0${r.origin}`;
    case 'dependency':
      return `${r.by}\0${r.constraint}`;
    case 'install-if':
      return r.conditions.join(' ');
    case 'lock':
      return r.origin;
  }
}

function compareReasons(a: ApkSelectionReason, b: ApkSelectionReason): number {
  return KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || comparePaths(reasonKey(a), reasonKey(b));
}

/**
 * The result for a chosen set: every requirement (of the world and of each chosen
 * package) is credited to each chosen package that meets it.
 */
export function buildResolution(
  chosen: readonly Candidate[],
  world: readonly Requirement[],
  extraReasons: (c: Candidate) => readonly ApkSelectionReason[],
): ApkResolution {
  const holders = new Map<string, Candidate[]>();
  for (const c of chosen) {
    for (const n of c.names) holders.set(n.name, [...(holders.get(n.name) ?? []), c]);
  }
  const reasons = new Map<Candidate, ApkSelectionReason[]>(chosen.map((c) => [c, [...extraReasons(c)]]));
  const dependencies = new Map<Candidate, Set<string>>(chosen.map((c) => [c, new Set<string>()]));
  const meetersOf = (r: Requirement): Candidate[] => (holders.get(r.constraint.name) ?? []).filter((c) => meets(c, r.constraint));

  for (const r of world) {
    if (r.constraint.conflict || r.source.kind !== 'world') continue;
    for (const c of meetersOf(r)) for (const origin of r.source.origins) reasons.get(c)?.push({ kind: 'world', constraint: r.text, origin });
  }
  for (const p of chosen) {
    for (const r of p.requirements) {
      for (const c of meetersOf(r)) {
        if (c === p) continue;
        reasons.get(c)?.push({ kind: 'dependency', constraint: r.text, by: p.entry.name });
        dependencies.get(p)?.add(c.entry.name);
      }
    }
  }
  const packages = [...chosen]
    .sort((a, b) => comparePaths(a.entry.name, b.entry.name))
    .map((c) => {
      const unique = new Map((reasons.get(c) ?? []).map((r) => [`${r.kind}\0${reasonKey(r)}`, r]));
      return {
        entry: c.entry,
        repository: { url: c.repository.url, arch: c.repository.arch, ...(c.repository.tag !== undefined ? { tag: c.repository.tag } : {}) },
        reasons: [...unique.values()].sort(compareReasons),
        dependencies: [...(dependencies.get(c) ?? [])].sort(comparePaths),
      };
    });
  return { packages };
}

export function installIfReason(c: Candidate): ApkSelectionReason {
  return { kind: 'install-if', conditions: c.entry.installIf.map(formatApkConstraint) };
}
