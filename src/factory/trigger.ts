import type { ApkVersion } from '../apk/index.ts';

/** A package that changed in the repositories (a new build, a new version). */
export type PackageChange = {
  readonly name: string;
  readonly from?: ApkVersion;
  readonly to: ApkVersion;
};

/** Why a cycle runs. */
export type Trigger =
  /** The daily rebuild: every maintained image version whose inputs changed. */
  | { readonly kind: 'schedule' }
  /** Packages were published (e.g. a new upstream release was built): image versions containing one of them. */
  | { readonly kind: 'package-updated'; readonly packages: readonly PackageChange[] }
  /** A fix for an urgent vulnerability is available: at once, only image versions that contain an affected package. */
  | { readonly kind: 'urgent-fix'; readonly advisory: string; readonly packages: readonly string[] }
  /** `kiln factory run` by a person: like the schedule. */
  | { readonly kind: 'manual'; readonly by: string };

/** The package names a trigger is limited to; undefined when it concerns every image version. */
export function triggerPackages(t: Trigger): ReadonlySet<string> | undefined {
  switch (t.kind) {
    case 'schedule':
    case 'manual':
      return undefined;
    case 'package-updated':
      return new Set(t.packages.map((p) => p.name));
    case 'urgent-fix':
      return new Set(t.packages);
    default: {
      const never: never = t;
      return never;
    }
  }
}

/** `schedule`, `urgent fix CVE-2025-1234 (openssl)`, … for logs and the changelog. */
export function describeTrigger(t: Trigger): string {
  switch (t.kind) {
    case 'schedule':
      return 'schedule';
    case 'package-updated':
      return `packages updated: ${t.packages.map((p) => (p.from === undefined ? `${p.name} ${p.to}` : `${p.name} ${p.from} → ${p.to}`)).join(', ')}`;
    case 'urgent-fix':
      return `urgent fix ${t.advisory} (${t.packages.join(', ')})`;
    case 'manual':
      return `manual run by ${t.by}`;
    default: {
      const never: never = t;
      return never;
    }
  }
}
