import { satisfies, type ApkVersion } from '../apk/index.ts';
import type { CatalogLine } from './catalog-image.ts';
import { newestVersion, sortVersionsDescending } from './image-version.ts';
import { parseInstant } from './schedules.ts';

/** Whether a version belongs to the line: it meets every part of the line's constraint. */
export function lineAdmits(line: CatalogLine, primaryPackage: string, version: ApkVersion): boolean {
  return line.constraints.every((c) => satisfies(c, primaryPackage, version));
}

/** From 00:00 UTC on its `eol` date a line is end-of-life: nothing in it is rebuilt any more. */
export function isEndOfLife(line: CatalogLine, now: string): boolean {
  if (line.eol === undefined) return false;
  return parseInstant(now, 'now').getTime() >= Date.parse(`${line.eol}T00:00:00Z`);
}

/** Why a version is frozen. */
export type FrozenReason =
  | { readonly kind: 'end-of-life'; readonly eol: string }
  | { readonly kind: 'superseded'; readonly by: ApkVersion }
  | { readonly kind: 'outside-line'; readonly constraint: string };

export type LineMaintenance = {
  /** The one version of the line that is rebuilt: the newest within its constraint; absent at end of life. */
  readonly maintained?: ApkVersion;
  /** Every other version, newest first: kept pullable with its tags, never rebuilt. */
  readonly frozen: readonly { readonly version: ApkVersion; readonly reason: FrozenReason }[];
};

/**
 * Which of a line's known versions (published ones and the one the repositories offer
 * now) is maintained. Only the newest version within the constraint is; when a newer one
 * appears the older one becomes frozen. A version outside the constraint (the catalog
 * narrowed it) is frozen too; at end of life all of them are.
 */
export function lineMaintenance(line: CatalogLine, primaryPackage: string, versions: readonly ApkVersion[], now: string): LineMaintenance {
  const all = sortVersionsDescending(versions);
  if (isEndOfLife(line, now)) {
    const eol = line.eol ?? '';
    return { frozen: all.map((version) => ({ version, reason: { kind: 'end-of-life', eol } })) };
  }
  const maintained = newestVersion(all.filter((v) => lineAdmits(line, primaryPackage, v)));
  const frozen = all
    .filter((v) => v !== maintained)
    .map((version) => ({
      version,
      reason: lineAdmits(line, primaryPackage, version)
        ? ({ kind: 'superseded', by: maintained ?? version } as const)
        : ({ kind: 'outside-line', constraint: line.constraint } as const),
    }));
  return { ...(maintained !== undefined && { maintained }), frozen };
}

/** `unmaintained: superseded by 1.27.5` — the skip reason a cycle records. */
export function describeFrozen(line: CatalogLine, reason: FrozenReason): string {
  switch (reason.kind) {
    case 'end-of-life':
      return `line ${line.name} reached end of life on ${reason.eol}`;
    case 'superseded':
      return `unmaintained: superseded by ${reason.by}`;
    case 'outside-line':
      return `unmaintained: outside line ${line.name} (${reason.constraint})`;
    default: {
      const never: never = reason;
      return never;
    }
  }
}
