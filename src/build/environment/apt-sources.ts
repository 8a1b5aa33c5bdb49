import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { readTextIfExists } from '../../files/index.ts';

/** One apt source as both formats describe it: the one-line `.list` and the deb822 `.sources`. */
export type AptSource = {
  readonly types: readonly string[];
  readonly uris: readonly string[];
  readonly suites: readonly string[];
  readonly components: readonly string[];
  readonly enabled: boolean;
  /** The file it came from, for messages. */
  readonly file: string;
};

/** Parses a one-line-style sources.list: `deb [opts] URI SUITE [COMPONENT...]`. */
export function parseSourcesList(text: string, file: string): AptSource[] {
  const out: AptSource[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*$/, '').trim();
    if (line === '') continue;
    const tokens = line.split(/\s+/);
    const type = tokens.shift();
    if (type !== 'deb' && type !== 'deb-src') continue;
    // options: `[arch=amd64 signed-by=/x]`, possibly with spaces inside the brackets
    if (tokens[0]?.startsWith('[')) {
      let option: string | undefined;
      do option = tokens.shift();
      while (option !== undefined && !option.endsWith(']'));
    }
    const [uri, suite, ...components] = tokens;
    if (uri === undefined || suite === undefined) continue;
    out.push({ types: [type], uris: [uri], suites: [suite], components, enabled: true, file });
  }
  return out;
}

/** Parses a deb822 `.sources` file: stanzas of `Field: value` separated by blank lines. */
export function parseDeb822Sources(text: string, file: string): AptSource[] {
  const out: AptSource[] = [];
  for (const stanza of deb822Stanzas(text)) {
    const words = (name: string): string[] => (stanza.get(name.toLowerCase()) ?? '').split(/\s+/).filter((w) => w !== '');
    const enabled = (stanza.get('enabled') ?? 'yes').trim().toLowerCase() !== 'no';
    const types = words('Types');
    const uris = words('URIs');
    if (types.length === 0 || uris.length === 0) continue;
    out.push({ types, uris, suites: words('Suites'), components: words('Components'), enabled, file });
  }
  return out;
}

function deb822Stanzas(text: string): Map<string, string>[] {
  const stanzas: Map<string, string>[] = [];
  let current = new Map<string, string>();
  let last: string | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    if (line.trim() === '') {
      if (current.size > 0) stanzas.push(current);
      current = new Map();
      last = undefined;
      continue;
    }
    if (/^\s/.test(line)) {
      if (last !== undefined) current.set(last, `${current.get(last) ?? ''}\n${line.trim()}`);
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    last = line.slice(0, colon).trim().toLowerCase();
    current.set(last, line.slice(colon + 1).trim());
  }
  if (current.size > 0) stanzas.push(current);
  return stanzas;
}

/**
 * Every source the machine's apt uses, in apt's order: sources.list, then sources.list.d's
 * `*.list` and `*.sources` files sorted by name. Files apt would ignore (other extensions,
 * e.g. `.disabled`) are ignored here too.
 */
export async function readAptSources(etcApt = '/etc/apt'): Promise<AptSource[]> {
  const sources: AptSource[] = [];
  const main = await readTextIfExists(join(etcApt, 'sources.list'));
  if (main !== undefined) sources.push(...parseSourcesList(main, join(etcApt, 'sources.list')));
  const dir = join(etcApt, 'sources.list.d');
  const names = (await readdir(dir).catch(() => [] as string[])).sort();
  for (const name of names) {
    const path = join(dir, name);
    if (name.endsWith('.list')) sources.push(...parseSourcesList((await readTextIfExists(path)) ?? '', path));
    else if (name.endsWith('.sources')) sources.push(...parseDeb822Sources((await readTextIfExists(path)) ?? '', path));
  }
  return sources;
}

