import type { ApkIndexEntry } from '../apk/index.ts';
import type { PackageFacts, PackageSource } from './image-facts.ts';

export type PackageFactsOptions = {
  /** The distro vendor, written as every package's supplier. */
  readonly supplier?: string;
  /** Upstream sources by APK origin (or by name when a package has no origin). */
  readonly sources?: ReadonlyMap<string, PackageSource>;
  /** SPDX documents from the package builds, by package name. */
  readonly spdx?: ReadonlyMap<string, unknown>;
  /** SHA-256 (hex) of each .apk file, by package name. */
  readonly sha256?: ReadonlyMap<string, string>;
};

/**
 * PackageFacts for the packages an image installs, from their index entries. Dependencies
 * are resolved inside the set: `so:libc.so.6` becomes the package that provides it, so the
 * SBOMs' dependency graph links packages, not capabilities. Conflicts (`!name`) are skipped.
 */
export function packageFactsOf(entries: readonly ApkIndexEntry[], options: PackageFactsOptions = {}): PackageFacts[] {
  const provider = new Map<string, string>();
  for (const e of entries) {
    for (const p of e.provides) if (!provider.has(p.name)) provider.set(p.name, e.name);
  }
  for (const e of entries) provider.set(e.name, e.name);
  return entries.map((e) => {
    const depends = new Set<string>();
    for (const d of e.depends) {
      const name = d.conflict ? undefined : provider.get(d.name);
      if (name !== undefined && name !== e.name) depends.add(name);
    }
    const source = options.sources?.get(e.origin ?? e.name);
    const sha256 = options.sha256?.get(e.name);
    const spdx = options.spdx?.get(e.name);
    return {
      name: e.name,
      version: e.version,
      arch: e.arch,
      ...(e.license !== '' && { license: e.license }),
      ...(options.supplier !== undefined && { supplier: options.supplier }),
      ...(e.origin !== undefined && { origin: e.origin }),
      ...(e.url !== '' && { url: e.url }),
      ...(source !== undefined && { source }),
      checksum: e.checksum,
      ...(sha256 !== undefined && { sha256 }),
      depends: [...depends].sort(),
      ...(spdx !== undefined && { spdx }),
    };
  });
}
