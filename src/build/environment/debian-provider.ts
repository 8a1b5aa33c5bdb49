import { KilnError } from '../../errors/index.ts';
import { readAptProxySettings, proxyEnv } from './apt-proxy.ts';
import type { DebianArchive } from './debian-archive.ts';
import type { EnvironmentProvider, InstalledPackage, ProviderBuildRequest, ProviderBuildResult } from './environment-provider.ts';
import { runHostCommand } from './host-command.ts';

/**
 * Bumped whenever the mmdebstrap invocation changes what lands in the rootfs, so that
 * environments cached under the old recipe are not reused.
 */
const RECIPE_VERSION = '1';

/**
 * `essential` installs only the Essential:yes set plus what --include asks for (and its
 * dependencies): with build-essential that is a working gcc/make toolchain and nothing else —
 * no apt, no priority:important extras. The build never installs packages itself, so apt
 * inside the environment would be dead weight.
 */
const VARIANT = 'essential';

/** Documentation and translations are never read by a build; leaving them out saves time and space. */
const PATH_EXCLUDES = ['/usr/share/doc/*', '/usr/share/man/*', '/usr/share/info/*', '/usr/share/locale/*'];

const HOST_PATH = '/usr/sbin:/usr/bin:/sbin:/bin';
const BUILD_TIMEOUT_MS = 30 * 60 * 1000;

/** A Debian package name, optionally with `:arch` and `=version` (the forms mmdebstrap's --include takes). */
const DEBIAN_PACKAGE = /^[a-z0-9][a-z0-9+.-]+(:[a-z0-9-]+)?(=[A-Za-z0-9.+~:-]+)?$/;

/** Environments from Debian's archive, built by mmdebstrap. */
export function debianProvider(archive: DebianArchive): EnvironmentProvider {
  return {
    kind: 'debian',
    identity: { recipe: RECIPE_VERSION, variant: VARIANT, suite: archive.suite, arch: archive.arch, mirror: archive.mirror },
    normalisePackages: normaliseDebianPackages,
    build: (request) => buildWithMmdebstrap(archive, request),
  };
}

export function normaliseDebianPackages(packages: readonly string[]): readonly string[] {
  const names = new Set<string>();
  for (const raw of packages) {
    const name = raw.trim();
    // also keeps a name from becoming an option or splitting mmdebstrap's comma-separated --include
    if (!DEBIAN_PACKAGE.test(name)) {
      throw new KilnError('INPUT_INVALID', `environment package ${JSON.stringify(raw)}: expected a Debian package name like "build-essential"`);
    }
    names.add(name);
  }
  return [...names].sort();
}

async function buildWithMmdebstrap(archive: DebianArchive, req: ProviderBuildRequest): Promise<ProviderBuildResult> {
  const args = [
    // root mode needs no user namespaces and gives real ownership; unshare is the fallback
    // for a non-root kiln
    `--mode=${process.getuid?.() === 0 ? 'root' : 'unshare'}`,
    `--variant=${VARIANT}`,
    `--architectures=${archive.arch}`,
    ...PATH_EXCLUDES.map((p) => `--dpkgopt=path-exclude=${p}`),
    ...(await readAptProxySettings()).map((line) => `--aptopt=${line}`),
  ];
  if (req.packages.length > 0) args.push(`--include=${req.packages.join(',')}`);
  args.push(archive.suite, req.rootfs, archive.mirror);
  req.log(`mmdebstrap --variant=${VARIANT} ${archive.suite} (${archive.arch}) from ${archive.mirror}: ${req.packages.join(' ') || '(essential only)'}`);
  const run = await runHostCommand('mmdebstrap', args, {
    env: { PATH: HOST_PATH, LANG: 'C.UTF-8', ...proxyEnv(process.env) },
    timeoutMs: BUILD_TIMEOUT_MS,
    log: req.log,
    ...(req.signal ? { signal: req.signal } : {}),
  });
  if (run.code !== 0) {
    throw new KilnError(
      'ENVIRONMENT_FAILED',
      `mmdebstrap ${archive.suite} with ${req.packages.join(',') || '(essential only)'}: expected exit status 0, got ${run.code ?? run.signal}`,
    );
  }
  return { installed: await listInstalled(req.rootfs, req.log) };
}

/** The packages dpkg records as installed in `rootfs`, sorted by name then arch. */
export async function listInstalled(rootfs: string, log: (line: string) => void): Promise<readonly InstalledPackage[]> {
  const run = await runHostCommand(
    'dpkg-query',
    [`--admindir=${rootfs}/var/lib/dpkg`, '-W', '-f=${db:Status-Abbrev}\t${Package}\t${Version}\t${Architecture}\n'],
    { env: { PATH: HOST_PATH, LANG: 'C.UTF-8' }, timeoutMs: 60_000, log, captureStdout: true },
  );
  if (run.code !== 0) throw new KilnError('ENVIRONMENT_FAILED', `dpkg-query in ${rootfs}: exit status ${run.code ?? run.signal}`);
  return parseDpkgQuery(run.stdout);
}

export function parseDpkgQuery(text: string): readonly InstalledPackage[] {
  const out: InstalledPackage[] = [];
  for (const line of text.split('\n')) {
    const [status, name, version, arch] = line.split('\t');
    // "ii " is installed; config-files-only and half-installed entries are not part of the environment
    if (!status?.startsWith('ii') || !name || !version || !arch) continue;
    out.push({ name, version, arch, origin: 'debian' });
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.arch < b.arch ? -1 : a.arch > b.arch ? 1 : 0));
}
