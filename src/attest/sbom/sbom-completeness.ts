import type { InstalledPackage } from './installed-db.ts';

/** A package as an SBOM lists it (from either format). */
export type SbomPackageRef = { readonly name: string; readonly version: string };

export type CompletenessViolation =
  | { readonly kind: 'package-missing'; readonly name: string; readonly version: string; readonly reason: string }
  | { readonly kind: 'package-version'; readonly name: string; readonly version: string; readonly reason: string }
  | { readonly kind: 'package-extra'; readonly name: string; readonly version: string; readonly reason: string }
  | { readonly kind: 'file-unowned'; readonly path: string; readonly reason: string };

export type CompletenessInput = {
  readonly sbomPackages: readonly SbomPackageRef[];
  readonly installed: readonly InstalledPackage[];
  /** Every path in the image (files, links and directories), relative to the root. */
  readonly files?: readonly string[];
  /**
   * Paths the image itself writes rather than a package (etc/passwd, etc/os-release, the
   * apk database…). A directory entry here covers everything under it.
   */
  readonly configPaths?: readonly string[];
};

/** Paths every kiln image writes outside any package. */
export const IMAGE_CONFIG_PATHS: readonly string[] = [
  'etc/apk',
  'lib/apk',
  'etc/passwd',
  'etc/group',
  'etc/shadow',
  'etc/os-release',
  'var/cache/apk',
  'var/lib/db/sbom',
];

/**
 * Every installed package is in the SBOM at its installed version (and nothing else is),
 * and every path in the image belongs to a package or to the image's own configuration.
 * Returns the violations, sorted; none means complete.
 */
export function checkSbomCompleteness(input: CompletenessInput): CompletenessViolation[] {
  const out: CompletenessViolation[] = [];
  const inSbom = new Map(input.sbomPackages.map((p) => [p.name, p.version]));
  const installedNames = new Set(input.installed.map((p) => p.name));
  for (const p of input.installed) {
    const v = inSbom.get(p.name);
    if (v === undefined) out.push({ kind: 'package-missing', name: p.name, version: p.version, reason: `${p.name} ${p.version} is installed but not in the SBOM` });
    else if (v !== p.version) {
      out.push({ kind: 'package-version', name: p.name, version: p.version, reason: `${p.name} is installed at ${p.version}, the SBOM says ${v}` });
    }
  }
  for (const p of input.sbomPackages) {
    if (!installedNames.has(p.name)) out.push({ kind: 'package-extra', name: p.name, version: p.version, reason: `${p.name} ${p.version} is in the SBOM but not installed` });
  }
  if (input.files !== undefined) {
    const owned = new Set<string>();
    for (const p of input.installed) for (const path of p.paths) owned.add(trim(path));
    const config = [...IMAGE_CONFIG_PATHS, ...(input.configPaths ?? [])].map(trim);
    // a directory is owned when a package owns anything under it (apk records only some parents)
    const ownedDirs = new Set<string>();
    for (const path of owned) for (let i = path.indexOf('/'); i > 0; i = path.indexOf('/', i + 1)) ownedDirs.add(path.slice(0, i));
    for (const raw of input.files) {
      const path = trim(raw);
      if (path === '' || owned.has(path) || ownedDirs.has(path)) continue;
      if (config.some((c) => path === c || path.startsWith(`${c}/`) || c.startsWith(`${path}/`))) continue;
      out.push({ kind: 'file-unowned', path, reason: `${path} belongs to no package and is not an image configuration path` });
    }
  }
  return out.sort((a, b) => (a.reason < b.reason ? -1 : a.reason > b.reason ? 1 : 0));
}

function trim(path: string): string {
  return path.replace(/^\.?\/+/, '').replace(/\/+$/, '');
}
