import { compareApkVersions, type ApkVersion } from '../apk/index.ts';
import { assertTag, type Digest } from '../oci/index.ts';
import { variantSuffix, type FloatingTagKind, type TagPolicy } from './catalog-image.ts';
import { newestPublication, type Publication } from './history-reader.ts';
import { newestVersion, upstreamVersion, versionSeries } from './image-version.ts';
import { timestampTag } from './timestamp-tag.ts';

/** A publication about to happen: which version of which line, in which variant, as which digest, when. */
export type NewPublication = {
  readonly image: string;
  readonly line: string;
  readonly variant: string;
  /** The primary package's full version, `1.27.4-r2`. */
  readonly primaryVersion: ApkVersion;
  readonly digest: Digest;
  /** ISO-8601 (the cycle's `now`, never the clock read inside the policy). */
  readonly at: string;
};

/** A floating tag pointed at the new digest; `from` is where it pointed before (absent: a new tag). */
export type FloatingMove = { readonly tag: string; readonly kind: FloatingTagKind; readonly from?: Digest };

export type TagPlan = {
  /** The image version, `1.27.4`. */
  readonly version: ApkVersion;
  /** `1.27.4`, or `1.27.4-dev` for the dev variant: follows the newest digest of this version. */
  readonly versionTag: string;
  /** Where the version tag pointed before; absent for the first publication of the version. */
  readonly versionTagFrom?: Digest;
  /** `1.27.4-202503070038`, `8.17.2-dev-202503040032`: unique to this publication, never moves. */
  readonly timestampTag: string;
  /** The floating tags that now point at this digest. Those that stay elsewhere are not listed. */
  readonly floating: readonly FloatingMove[];
  readonly firstOfVersion: boolean;
  /**
   * The version of the same line that was maintained until now and becomes unmaintained
   * (frozen: it keeps its tags and digests and is no longer rebuilt). Absent when the
   * version did not change or the line had no earlier version.
   */
  readonly supersedes?: ApkVersion;
  /** Every tag to point at the digest: version tag, timestamp tag, then the floating ones. */
  readonly tags: readonly string[];
};

/**
 * Decides the tags of a new publication from the history (every earlier publication of
 * the image, any line and variant; publications of other images are ignored, so the
 * whole history may be passed).
 *
 * - The version tag is the primary package's version without `-rN`, plus the variant's
 *   suffix; it always moves to the newest digest of its version.
 * - Every publication, the first of a version included, gets a timestamp tag (UTC to the
 *   minute; the next free minute on a collision). Each digest thus has one immutable,
 *   human-readable name to pin or roll back to, the way Chainguard tags every build; the
 *   mission's "other changes get a new digest plus a unique timestamp tag" is the case
 *   people notice, and a rule with no exception is the one scripts can rely on.
 * - Floating tags (`latest`, major `3`, minor `3.14`, with the variant's suffix) follow
 *   the newest digest of the newest version they match, across lines and among the same
 *   variant only. A tag moves when the new version is at least as new as every version
 *   it matches, so a publication to an older line never moves `latest`. A floating tag
 *   that would equal the version tag (`3.14` for version 3.14) is left to the version tag.
 */
export function planTags(allHistory: readonly Publication[], next: NewPublication, policy: TagPolicy): TagPlan {
  const history = allHistory.filter((p) => p.image === next.image);
  const version = upstreamVersion(next.primaryVersion);
  const suffix = variantSuffix(next.variant);
  const versionTag = assertTag(`${version}${suffix}`, 'version tag');
  const sameVariant = history.filter((p) => p.variant === next.variant);
  const sameVersion = sameVariant.filter((p) => compareApkVersions(p.version, version) === 0);
  const previous = newestPublication(sameVersion);
  const taken = new Set(history.flatMap((p) => p.tags));
  const stamp = timestampTag(versionTag, next.at, taken);

  const floating: FloatingMove[] = [];
  const series = versionSeries(version);
  for (const kind of policy.floating) {
    const name = floatingName(kind, series);
    if (name === undefined) continue;
    const tag = `${name}${suffix}`;
    if (tag === versionTag) continue;
    const matching = sameVariant.filter((p) => kind === 'latest' || floatingName(kind, versionSeries(p.version)) === name);
    const newest = newestVersion(matching.map((p) => p.version));
    if (newest !== undefined && compareApkVersions(version, newest) < 0) continue;
    const current = newestPublication(matching.filter((p) => newest !== undefined && compareApkVersions(p.version, newest) === 0));
    floating.push({ tag: assertTag(tag, `${kind} tag`), kind, ...(current !== undefined && { from: current.digest }) });
  }

  const lineVersions = history.filter((p) => p.line === next.line).map((p) => p.version);
  const before = newestVersion(lineVersions);
  const supersedes = before !== undefined && compareApkVersions(version, before) > 0 ? before : undefined;

  return {
    version,
    versionTag,
    ...(previous !== undefined && { versionTagFrom: previous.digest }),
    timestampTag: stamp,
    floating,
    firstOfVersion: previous === undefined,
    ...(supersedes !== undefined && { supersedes }),
    tags: [versionTag, stamp, ...floating.map((f) => f.tag)],
  };
}

function floatingName(kind: FloatingTagKind, series: ReturnType<typeof versionSeries>): string | undefined {
  switch (kind) {
    case 'latest':
      return 'latest';
    case 'major':
      return series.major;
    case 'minor':
      return series.minor;
    default: {
      const never: never = kind;
      return never;
    }
  }
}
