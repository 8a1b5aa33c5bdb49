import { compareApkVersions, isApkVersion } from '../apk/index.ts';
import type { PackageChange, PackageRecord } from './publication.ts';

/**
 * What changed between two package lists: a pure function, used by diffDigests and
 * available to the factory for the `changes` it records.
 *
 * Packages are matched by name and architecture; a multi-arch image whose arches moved
 * in step reports each change once. Versions compare in APK order (1.10 > 1.9,
 * 1.0_rc1 < 1.0); a version APK cannot parse falls back to plain code-unit order, never
 * locale order. Sorted by name, then kind, then versions, so the output is stable.
 */
export function diffPackageLists(
  before: readonly PackageRecord[],
  after: readonly PackageRecord[],
): readonly PackageChange[] {
  const key = (p: PackageRecord): string => `${p.arch}\u0000${p.name}`;
  const old = new Map(before.map((p) => [key(p), p]));
  const now = new Map(after.map((p) => [key(p), p]));
  const changes = new Map<string, PackageChange>();
  const add = (change: PackageChange): void => {
    changes.set(`${change.kind}\u0000${change.name}\u0000${change.from ?? ''}\u0000${change.to ?? ''}`, change);
  };
  for (const [k, p] of now) {
    const q = old.get(k);
    if (q === undefined) add({ kind: 'added', name: p.name, from: null, to: p.version });
    else if (q.version !== p.version) {
      const kind = compareVersions(q.version, p.version) < 0 ? 'upgraded' : 'downgraded';
      add({ kind, name: p.name, from: q.version, to: p.version });
    }
  }
  for (const [k, q] of old) {
    if (!now.has(k)) add({ kind: 'removed', name: q.name, from: q.version, to: null });
  }
  return [...changes.values()].sort(compareChanges);
}

/** APK order when both parse, else code-unit order; ties between unequal strings break by text. */
export function compareVersions(a: string, b: string): number {
  if (isApkVersion(a) && isApkVersion(b)) {
    const r = compareApkVersions(a, b);
    if (r !== 0) return r;
  }
  return compareText(a, b);
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareChanges(a: PackageChange, b: PackageChange): number {
  return (
    compareText(a.name, b.name) ||
    compareText(a.kind, b.kind) ||
    compareText(a.from ?? '', b.from ?? '') ||
    compareText(a.to ?? '', b.to ?? '')
  );
}
