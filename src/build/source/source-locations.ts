import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import { KilnError } from '../../errors/index.ts';
import { type Digest, digestAlgorithm, digestHex } from '../../oci/index.ts';

/** The file name a URI ends in (decoded), or undefined when it names none. */
export function fileNameOf(uri: string): string | undefined {
  let last: string;
  try {
    last = decodeURIComponent(new URL(uri).pathname.split('/').pop() ?? '');
  } catch {
    return undefined;
  }
  if (last === '' || last === '.' || last === '..' || last.includes('/') || last.includes('\0')) return undefined;
  return last;
}

/** A mirror as a base URL ending in `/`: a URL prefix, or an absolute directory. */
export function mirrorBase(mirror: string): URL {
  if (isAbsolute(mirror)) return pathToFileURL(mirror.endsWith('/') ? mirror : `${mirror}/`);
  if (!URL.canParse(mirror)) throw new KilnError('CONFIG_INVALID', `mirror ${JSON.stringify(mirror)}: expected an http(s) or file URL, or an absolute directory`);
  const url = new URL(mirror);
  if (!['http:', 'https:', 'file:'].includes(url.protocol)) {
    throw new KilnError('CONFIG_INVALID', `mirror ${mirror}: expected an http, https or file URL`);
  }
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return url;
}

/**
 * Where to look for a file, in order: each mirror by digest, then by file name, and
 * last the recipe's own URI. Names are URL-encoded, so a name cannot climb out of a
 * mirror's directory.
 */
export function sourceLocations(mirrors: readonly string[], digests: readonly Digest[], uri: string | undefined, name: string | undefined): string[] {
  const out: string[] = [];
  for (const m of mirrors) {
    const base = mirrorBase(m);
    for (const d of digests) out.push(new URL(`${digestAlgorithm(d)}/${digestHex(d)}`, base).toString());
    if (name !== undefined) out.push(new URL(encodeURIComponent(name), base).toString());
  }
  if (uri !== undefined) out.push(uri);
  return [...new Set(out)];
}
