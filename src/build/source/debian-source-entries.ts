import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { readTextIfExists } from '../../files/index.ts';
import { resolveDebianArchive } from '../environment/index.ts';

/** One file for apt's private `sourceparts` directory: deb-src entries. */
export type DebSrcFile = {
  /** `from-debian.sources`, `from-sources.list`: named after where the entries came from. */
  readonly name: string;
  readonly text: string;
};

export type DebSrcEntriesOptions = {
  /** The machine's apt configuration (tests point it elsewhere). */
  readonly etcApt?: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
};

/** Debian's archive keyring, as kiln's binary imports use it with $KILN_DEBIAN_MIRROR. */
const DEBIAN_KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg';

/**
 * deb-src entries for the archives this machine already uses: every enabled `deb`
 * entry of its apt sources as `deb-src`, with the same URIs, suites, components and
 * options. The text is transformed rather than re-assembled from the parsed sources
 * (src/build/environment's `AptSource`), because that drops `Signed-By` and the other
 * options, and the Sources index must be verified with the very keyring the host
 * trusts for that archive. With $KILN_DEBIAN_MIRROR set (kiln's one override of the
 * host's mirror), that mirror with Debian's archive keyring instead. No host name is
 * kiln's own.
 */
export async function debSrcEntries(options: DebSrcEntriesOptions = {}): Promise<DebSrcFile[]> {
  const env = options.env ?? process.env;
  const mirror = env['KILN_DEBIAN_MIRROR'];
  if (mirror !== undefined && mirror !== '') {
    const archive = await resolveDebianArchive({ env, ...(options.etcApt !== undefined && { etcApt: options.etcApt }) });
    const suites = [archive.suite, `${archive.suite}-updates`];
    return [{ name: 'kiln-debian-mirror.list', text: suites.map((s) => `deb-src [signed-by=${DEBIAN_KEYRING}] ${archive.mirror} ${s} main\n`).join('') }];
  }
  const etcApt = options.etcApt ?? '/etc/apt';
  const files: DebSrcFile[] = [];
  const main = await readTextIfExists(join(etcApt, 'sources.list'));
  if (main !== undefined) files.push({ name: 'from-sources.list', text: oneLineToDebSrc(main) });
  const dir = join(etcApt, 'sources.list.d');
  for (const name of (await readdir(dir).catch(() => [] as string[])).sort()) {
    const text = await readTextIfExists(join(dir, name));
    if (text === undefined) continue;
    // apt ignores other extensions (`.disabled`, `.save`), and so does this
    if (name.endsWith('.list')) files.push({ name: `from-${name}`, text: oneLineToDebSrc(text) });
    else if (name.endsWith('.sources')) files.push({ name: `from-${name}`, text: deb822ToDebSrc(text) });
  }
  return files.filter((f) => f.text.trim() !== '');
}

/** `deb [options] URI SUITE COMPONENT...` lines as `deb-src` lines; everything else dropped. */
export function oneLineToDebSrc(text: string): string {
  const out: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*$/, '').trim();
    if (/^deb\s/.test(line)) out.push(`deb-src ${line.slice(3).trim()}`);
  }
  return out.length > 0 ? `${out.join('\n')}\n` : '';
}

/**
 * deb822 stanzas whose `Types` include `deb` as `Types: deb-src` with every other field
 * kept (continuation lines included); disabled stanzas and comments dropped.
 */
export function deb822ToDebSrc(text: string): string {
  const stanzas: string[][] = [];
  let current: string[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    if (line.trim() === '') {
      if (current.length > 0) stanzas.push(current);
      current = [];
      continue;
    }
    current.push(line);
  }
  if (current.length > 0) stanzas.push(current);
  const out: string[] = [];
  for (const stanza of stanzas) {
    const field = (name: string): string | undefined => {
      const line = stanza.find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
      return line?.slice(name.length + 1).trim();
    };
    if ((field('Enabled') ?? 'yes').toLowerCase() === 'no') continue;
    if (!(field('Types') ?? '').split(/\s+/).includes('deb')) continue;
    out.push(stanza.map((l) => (/^types:/i.test(l) ? 'Types: deb-src' : l)).join('\n'));
  }
  return out.length > 0 ? `${out.join('\n\n')}\n` : '';
}

