import { KilnError } from '../../errors/index.ts';
import type { BuildEnvironment } from './ensure-environment.ts';
import type { EnvironmentProvider, InstalledPackage } from './environment-provider.ts';
import { runHostCommand } from './host-command.ts';
import { installKilnPackages } from './install-kiln-packages.ts';
import type { KilnPackageSet } from './kiln-packages.ts';

/**
 * Bumped whenever the way kiln's packages are laid into an environment changes (skeleton,
 * busybox links, replacing base files), so environments made the old way are not reused.
 */
const RECIPE_VERSION = '1';

/** `name=version`, as the record's `requested` lists a layered environment's kiln packages. */
const PINNED = /^[a-z0-9_][a-z0-9_.+-]*=[A-Za-z0-9._+~-]+$/i;

/**
 * Environments holding kiln's own packages: alone (an empty root with the sandbox's mount
 * points, then the packages), or on top of a Debian environment (a hard-linked copy of it,
 * then the packages; the cached Debian environment itself is never written). The identity
 * holds the base's hash and every package's index checksum, so a package rebuilt with new
 * content, or a new base, is a new environment; the package list is `name=version`.
 * Where the packages were read from is not part of the key (the same packages in another
 * directory make the same environment), so the cached list leaves it out; the caller adds
 * the repositories of the current build (ensureBuildEnvironment).
 */
export function kilnProvider(set: KilnPackageSet, base: BuildEnvironment | undefined, arch: string): EnvironmentProvider {
  const identity: Record<string, string> = { recipe: RECIPE_VERSION, arch, base: base?.hash ?? 'none' };
  for (const p of set.resolved) identity[`checksum:${p.entry.name}`] = p.entry.checksum;
  return {
    kind: 'apk',
    identity,
    ...(base && { base: { hash: base.hash, provider: base.record.provider, requested: base.record.requested } }),
    normalisePackages: (packages) => {
      for (const p of packages) {
        if (!PINNED.test(p)) throw new KilnError('INPUT_INVALID', `kiln environment package ${JSON.stringify(p)}: expected name=version`);
      }
      return [...new Set(packages)].sort();
    },
    build: async (req) => {
      if (base) {
        req.log(`copying the base environment ${base.hash} (hard links)`);
        await copyTree(base.rootfs, req.rootfs);
      }
      const overwritten = await installKilnPackages(req.rootfs, set, { onBase: base !== undefined, log: req.log });
      const kiln: InstalledPackage[] = set.resolved.map((p) => ({
        name: p.entry.name,
        version: p.entry.version,
        arch: p.entry.arch,
        origin: 'kiln',
        checksum: p.entry.checksum,
      }));
      const installed = [...(base?.installed ?? []), ...kiln].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.origin < b.origin ? -1 : a.origin > b.origin ? 1 : 0));
      return { installed, overwritten };
    },
  };
}

/** The packages a kiln provider is asked for: what was chosen, pinned. */
export function pinnedPackages(set: KilnPackageSet): string[] {
  return set.resolved.map((p) => `${p.entry.name}=${p.entry.version}`);
}

/** `cp -a -l`: a copy of the directory tree whose files are hard links to the originals. */
async function copyTree(from: string, to: string): Promise<void> {
  const errors: string[] = [];
  const run = await runHostCommand('cp', ['-a', '-l', '--', from, to], { env: { PATH: '/usr/bin:/bin' }, timeoutMs: 30 * 60_000, log: (l) => errors.push(l) });
  if (run.code !== 0) {
    throw new KilnError('ENVIRONMENT_FAILED', `copying the base environment ${from} to ${to}: cp exited ${String(run.code ?? run.signal)}: ${errors.join('\n').trim().slice(0, 500)}`);
  }
}
