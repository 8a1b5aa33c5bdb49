import { apkNameNamespace } from '../../apk/index.ts';

/**
 * Recipes name their build environment in Wolfi/Alpine terms (build-base, busybox) and
 * pipelines declare what they need the same way (`make`, `binutils`), but today's
 * environments come from Debian. This maps those names to Debian packages, and drops
 * what every Debian environment kiln builds already holds, so that a recipe using the
 * usual pipelines gets the same environment (and the same cache entry) as one that
 * asks for `build-essential` alone.
 */
const APK_TO_DEBIAN: Readonly<Record<string, readonly string[]>> = {
  'build-base': ['build-essential'],
  'ca-certificates-bundle': ['ca-certificates'],
  'glibc-dev': ['libc6-dev'],
  ninja: ['ninja-build'],
  'ninja-build': ['ninja-build'],
  go: ['golang-go'],
  scanelf: ['pax-utils'],
  'pkgconf-dev': ['pkgconf'],
  'openssl-dev': ['libssl-dev'],
  'zlib-dev': ['zlib1g-dev'],
  'ncurses-dev': ['libncurses-dev'],
  'pcre2-dev': ['libpcre2-dev'],
  'libffi-dev': ['libffi-dev'],
  python3: ['python3'],
  // busybox's tools are Debian's essential set (coreutils, findutils, grep, sed, tar, …)
  busybox: [],
  'wolfi-base': [],
};

/** Debian's Essential:yes packages: in every environment mmdebstrap's essential variant makes. */
const ESSENTIAL = new Set([
  'base-files', 'base-passwd', 'bash', 'bsdutils', 'coreutils', 'dash', 'debianutils', 'diffutils', 'findutils',
  'grep', 'gzip', 'hostname', 'init-system-helpers', 'libc-bin', 'login', 'ncurses-base', 'ncurses-bin', 'perl-base',
  'sed', 'sysvinit-utils', 'tar', 'util-linux', 'mawk',
]);

/** What build-essential pulls in (gcc, g++, make, dpkg-dev and their dependencies). */
const IN_BUILD_ESSENTIAL = new Set(['binutils', 'bzip2', 'cpp', 'dpkg-dev', 'g++', 'gcc', 'libc6-dev', 'libc-dev', 'make', 'patch', 'perl', 'xz-utils']);

/**
 * Debian package names for a list of APK-style requests: constraints are dropped
 * (`openssl-dev>3` → the newest the suite has), `so:`/`cmd:`/`pc:` names are left out
 * (no Debian equivalent by name), known Wolfi names are translated, essential packages
 * and those build-essential brings are folded away. `exclude` drops names (the
 * packages this very build produces, which a test installs from its own APKs).
 * Unknown names pass through unchanged; the provider checks them.
 */
export function debianPackagesFor(requests: readonly string[], exclude: ReadonlySet<string> = new Set()): string[] {
  const out = new Set<string>();
  for (const raw of requests) {
    const name = requestName(raw);
    if (name === '' || name.startsWith('!') || exclude.has(name) || apkNameNamespace(name) !== undefined) continue;
    for (const deb of APK_TO_DEBIAN[name] ?? [name]) out.add(deb);
  }
  const withBuildEssential = out.has('build-essential');
  for (const name of [...out]) {
    if (ESSENTIAL.has(name) || (withBuildEssential && IN_BUILD_ESSENTIAL.has(name))) out.delete(name);
  }
  return [...out].sort();
}

/** The package name of a request: `openssl-dev>3` → `openssl-dev`, `foo@local` → `foo`. */
export function requestName(raw: string): string {
  return (raw.trim().split(/[<>=~]/)[0] ?? '').replace(/@.*$/, '');
}
