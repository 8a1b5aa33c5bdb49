import { readFile } from 'node:fs/promises';
import { KilnError } from '../../errors/index.ts';
import { readAptSources, type AptSource } from './apt-sources.ts';

/** Where a Debian environment's packages come from. */
export type DebianArchive = {
  readonly suite: string;
  readonly arch: string;
  /** The archive's base URL, without a trailing slash. */
  readonly mirror: string;
  /** How the mirror was chosen, for messages: "explicit", "KILN_DEBIAN_MIRROR" or the apt file. */
  readonly origin: string;
};

export type ResolveDebianArchiveOptions = {
  readonly mirror?: string;
  readonly suite?: string;
  readonly arch?: string;
  /** Where apt's configuration lives (tests point this elsewhere). */
  readonly etcApt?: string;
  readonly osRelease?: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
};

const SUITE = /^[a-z0-9][a-z0-9.-]*$/;
const ARCH = /^[a-z0-9][a-z0-9-]*$/;

/** Node's names for the architectures Debian also has, in Debian's spelling. */
const DEBIAN_ARCH: Readonly<Record<string, string>> = {
  x64: 'amd64',
  arm64: 'arm64',
  arm: 'armhf',
  ia32: 'i386',
  ppc64: 'ppc64el',
  s390x: 's390x',
  riscv64: 'riscv64',
};

/**
 * The Debian archive to build environments from. The mirror is, in order: the explicit
 * setting, $KILN_DEBIAN_MIRROR, or the machine's own apt source for the running suite's main
 * component, so that kiln uses whatever mirror (or proxy-fronted mirror) the host is set up for
 * and never a host name of its own.
 */
export async function resolveDebianArchive(opts: ResolveDebianArchiveOptions = {}): Promise<DebianArchive> {
  const env = opts.env ?? process.env;
  const suite = opts.suite ?? (await runningSuite(opts.osRelease ?? '/etc/os-release'));
  if (!SUITE.test(suite)) throw new KilnError('INPUT_INVALID', `Debian suite ${JSON.stringify(suite)}: expected a codename like "bookworm"`);
  const arch = opts.arch ?? DEBIAN_ARCH[process.arch];
  if (arch === undefined || !ARCH.test(arch)) {
    throw new KilnError('INPUT_INVALID', `architecture ${JSON.stringify(arch ?? process.arch)}: expected a Debian architecture like "amd64"`);
  }
  if (opts.mirror !== undefined) return { suite, arch, mirror: checkMirror(opts.mirror, 'mirror'), origin: 'explicit' };
  const fromEnv = env['KILN_DEBIAN_MIRROR'];
  if (fromEnv !== undefined && fromEnv !== '') {
    return { suite, arch, mirror: checkMirror(fromEnv, 'KILN_DEBIAN_MIRROR'), origin: 'KILN_DEBIAN_MIRROR' };
  }
  const etcApt = opts.etcApt ?? '/etc/apt';
  const found = pickArchive(await readAptSources(etcApt), suite);
  if (found === undefined) {
    throw new KilnError(
      'ENVIRONMENT_FAILED',
      `no enabled apt source in ${etcApt} serves suite ${suite} with component main over http(s); ` +
        'set the Debian mirror explicitly (KILN_DEBIAN_MIRROR)',
    );
  }
  return { suite, arch, mirror: checkMirror(found.uri, found.file), origin: found.file };
}

/** The first enabled binary source whose suite is exactly `suite` and which has `main`. */
export function pickArchive(sources: readonly AptSource[], suite: string): { readonly uri: string; readonly file: string } | undefined {
  for (const s of sources) {
    if (!s.enabled || !s.types.includes('deb') || !s.suites.includes(suite) || !s.components.includes('main')) continue;
    const uri = s.uris.find((u) => /^https?:\/\//.test(u));
    if (uri !== undefined) return { uri, file: s.file };
  }
  return undefined;
}

function checkMirror(value: string, where: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch (e) {
    throw new KilnError('INPUT_INVALID', `${where}: Debian mirror ${JSON.stringify(value)} is not a URL`, { cause: e });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new KilnError('INPUT_INVALID', `${where}: Debian mirror ${JSON.stringify(value)}: expected an http or https URL`);
  }
  // credentials in a mirror URL would end up in cache keys and logs
  if (url.username !== '' || url.password !== '') {
    throw new KilnError('INPUT_INVALID', `${where}: Debian mirror URL must not carry credentials (use apt's auth.conf)`);
  }
  return url.href.replace(/\/+$/, '');
}

async function runningSuite(osRelease: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(osRelease, 'utf8');
  } catch (e) {
    throw new KilnError('ENVIRONMENT_FAILED', `cannot read ${osRelease} to find the running Debian suite; set it explicitly`, { cause: e });
  }
  const m = /^VERSION_CODENAME=["']?([^"'\n]*)["']?$/m.exec(text);
  if (!m?.[1]) throw new KilnError('ENVIRONMENT_FAILED', `${osRelease} has no VERSION_CODENAME; set the Debian suite explicitly`);
  return m[1];
}
