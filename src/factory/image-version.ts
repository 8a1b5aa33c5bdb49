import { apkVersionWithoutRevision, compareApkVersions, type ApkVersion } from '../apk/index.ts';

/** `1.27.4-r2` → `1.27.4`: the image version, and what its version tag says. */
export function upstreamVersion(v: ApkVersion): ApkVersion {
  // Removing `-rN` from a valid APK version leaves a valid one.
  return apkVersionWithoutRevision(v) as ApkVersion;
}

/** The newest of some versions (APK order), or undefined for none. */
export function newestVersion(versions: Iterable<ApkVersion>): ApkVersion | undefined {
  let best: ApkVersion | undefined;
  for (const v of versions) if (best === undefined || compareApkVersions(v, best) > 0) best = v;
  return best;
}

/** Newest first. */
export function sortVersionsDescending(versions: Iterable<ApkVersion>): ApkVersion[] {
  return [...new Set(versions)].sort((a, b) => compareApkVersions(b, a));
}

/**
 * The series a version belongs to, for floating tags: `3.14.4` → major `3`, minor
 * `3.14`; `2.4.62a` → `2`, `2.4`; `7` → major `7` and no minor. Numbers are kept as
 * written (`2025.01.3` → `2025.01`): a tag should read like the version it follows.
 */
export function versionSeries(v: ApkVersion): { readonly major: string; readonly minor?: string } {
  const nums = (/^[0-9]+(?:\.[0-9]+)*/.exec(v)?.[0] ?? v).split('.');
  const major = nums[0] ?? v;
  return nums.length >= 2 ? { major, minor: `${major}.${nums[1]}` } : { major };
}
