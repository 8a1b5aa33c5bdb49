import { join } from 'node:path';
import { apkFileName, readApk, type ApkKeyring, type ApkResolvedPackage } from '../../apk/index.ts';
import { KilnError } from '../../errors/index.ts';
import type { PackageToInstall } from './install-packages.ts';

/** Packages read at once: enough to keep the disks and inflate busy, bounded in memory. */
const CONCURRENCY = 4;

/**
 * Reads each chosen package from its repository (`<dir>/<arch>/<name>-<version>.apk`)
 * and verifies it before anything uses it: the signature against `keys`, the datahash,
 * every file's SHA-1, no path that escapes the root ({@link readApk}), and that the
 * package is the one the signed index named, by its control checksum (`C:`), name and
 * version. Returns them in the order given.
 */
export async function readResolvedPackages(packages: readonly ApkResolvedPackage[], keys: ApkKeyring): Promise<PackageToInstall[]> {
  const out = new Array<PackageToInstall>(packages.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < packages.length) {
      const i = next++;
      const p = packages[i];
      if (p === undefined) continue;
      const file = join(p.repository.url, p.repository.arch, apkFileName(p.entry));
      const apk = await readApk(file, { keys });
      if (apk.checksum !== p.entry.checksum) {
        throw new KilnError(
          'DIGEST_MISMATCH',
          `${file}: the package's control checksum is ${apk.checksum}, but the repository index lists ${p.entry.name}-${p.entry.version} with C:${p.entry.checksum}`,
        );
      }
      if (apk.info.name !== p.entry.name || apk.info.version !== p.entry.version) {
        throw new KilnError('PACKAGE_INVALID', `${file}: holds ${apk.info.name}-${apk.info.version}, the index says ${p.entry.name}-${p.entry.version}`);
      }
      out[i] = { entry: p.entry, apk };
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, packages.length) }, worker));
  return out;
}

/**
 * The order apk installs in: every package after the packages it depends on, ties (and
 * cycles) broken by name, so the order is the same on every machine.
 */
export function installOrder(packages: readonly ApkResolvedPackage[]): ApkResolvedPackage[] {
  const byName = new Map(packages.map((p) => [p.entry.name, p]));
  const done = new Set<string>();
  const visiting = new Set<string>();
  const order: ApkResolvedPackage[] = [];
  const visit = (p: ApkResolvedPackage): void => {
    const name = p.entry.name;
    if (done.has(name) || visiting.has(name)) return;
    visiting.add(name);
    for (const dep of p.dependencies) {
      const d = byName.get(dep);
      if (d !== undefined) visit(d);
    }
    visiting.delete(name);
    done.add(name);
    order.push(p);
  };
  for (const p of packages) visit(p); // resolution packages are sorted by name
  return order;
}
