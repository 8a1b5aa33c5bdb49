import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { ApkIndexEntry, ApkVersion } from '../../apk/index.ts';
import { describeError, isKilnError, KilnError, type KilnErrorCode } from '../../errors/index.ts';
import { parseDigest } from '../../oci/index.ts';
import type { SourceCache } from '../source/index.ts';
import { verifyDeb, type ArchiveRecord } from './apt-archive.ts';
import { convertDeb, type ConvertedDeb } from './convert-deb.ts';
import { debianToApkVersion } from './debian-version.ts';

/** Where .debs come from: the machine's archive ({@link AptArchive}) or, in tests, a fake. */
export type DebSource = {
  record(name: string, version?: string): Promise<ArchiveRecord>;
  download(record: ArchiveRecord): Promise<Buffer>;
};

/** `NAME[=VERSION]`, as apt spells it. */
export type DebRequest = { readonly name: string; readonly version?: string };

export type ResolvedDeb = {
  /** Position in the order packages were reached (named ones first, then breadth first). */
  readonly seq: number;
  readonly request: string;
  /** The package that pulled this one in (with --with-deps); undefined for a named one. */
  readonly requiredBy?: string;
  readonly record: ArchiveRecord;
  readonly converted: ConvertedDeb;
};

export type Unresolved = {
  readonly seq: number;
  readonly request: string;
  readonly name: string;
  readonly requiredBy?: string;
  readonly status: 'skipped' | 'failed';
  readonly reason: string;
  /** The error's code, for a failure kiln raised on purpose. */
  readonly code?: KilnErrorCode;
  readonly debianVersion?: string;
  readonly version?: ApkVersion;
};

export function parseDebRequest(text: string): DebRequest {
  const m = /^([a-z0-9][a-z0-9+.-]+)(?:=([0-9][A-Za-z0-9.+~:-]*|[0-9]+:[0-9][A-Za-z0-9.+~:-]*))?$/.exec(text);
  if (!m?.[1]) throw new KilnError('USAGE', `${JSON.stringify(text)}: expected a Debian package as NAME or NAME=VERSION, such as libc6 or libc6=2.36-9+deb12u14`);
  return { name: m[1], ...(m[2] !== undefined ? { version: m[2] } : {}) };
}

/**
 * Fetches and converts the requested packages and, with `withDeps`, the closure of their
 * Depends and Pre-Depends (first alternative the archive has), breadth first, at most
 * `maxPackages` in all. A dependency already in the repository at the version the
 * archive offers, or satisfied by a name the repository or the batch provides, is not
 * fetched again. One failure does not stop the others: each item gets its result.
 */
export async function resolveImports(opts: {
  readonly requests: readonly DebRequest[];
  readonly source: DebSource;
  readonly debianArch: string;
  readonly existing: readonly ApkIndexEntry[];
  readonly cache?: SourceCache | undefined;
  readonly withDeps: boolean;
  readonly maxPackages: number;
  readonly log?: ((line: string) => void) | undefined;
}): Promise<{ readonly resolved: readonly ResolvedDeb[]; readonly unresolved: readonly Unresolved[] }> {
  const resolved: ResolvedDeb[] = [];
  const unresolved: Unresolved[] = [];
  // names the repository offers only virtually (Provides); packages it has by name are
  // looked up, so that a newer archive version replaces an older import
  const packages = new Set(opts.existing.map((e) => e.name));
  const present = new Set<string>(opts.existing.flatMap((e) => e.provides.map((p) => p.name)).filter((n) => !packages.has(n)));
  const seen = new Set<string>();
  type Item = { readonly alternatives: readonly DebRequest[]; readonly requiredBy?: string };
  const queue: Item[] = opts.requests.map((r) => ({ alternatives: [r] }));
  let seq = 0;
  while (queue.length > 0) {
    seq++;
    const item = queue.shift() as Item;
    const first = item.alternatives[0] as DebRequest;
    const request = first.version !== undefined ? `${first.name}=${first.version}` : first.name;
    const dep = item.requiredBy !== undefined;
    if (dep && item.alternatives.some((a) => seen.has(a.name) || present.has(a.name))) continue;
    if (seen.has(first.name)) continue;
    if (resolved.length >= opts.maxPackages) {
      unresolved.push({ seq, request, name: first.name, ...(dep ? { requiredBy: item.requiredBy } : {}), status: 'skipped', reason: `the import is limited to ${opts.maxPackages} packages` });
      continue;
    }
    let record: ArchiveRecord | undefined;
    let lastError: unknown;
    // a dependency may name a virtual package first (`debconf | debconf-2.0`): try each in turn
    for (const alt of item.alternatives) {
      try {
        record = await opts.source.record(alt.name, alt.version);
        break;
      } catch (e) {
        lastError = e;
        if (!(isKilnError(e) && e.code === 'PACKAGE_UNKNOWN')) break;
      }
    }
    if (record === undefined) {
      for (const a of item.alternatives) seen.add(a.name);
      unresolved.push({ seq, request, name: first.name, ...(dep ? { requiredBy: item.requiredBy } : {}), status: dep ? 'skipped' : 'failed', reason: describeError(lastError), ...codeOf(lastError) });
      continue;
    }
    seen.add(record.package);
    const base = { seq, request, name: record.package, ...(dep ? { requiredBy: item.requiredBy } : {}), debianVersion: record.version };
    try {
      if (record.architecture !== opts.debianArch && record.architecture !== 'all') {
        throw new KilnError('DEB_INVALID', `${record.package} ${record.version} is for ${record.architecture}; expected ${opts.debianArch} or all`);
      }
      const version = debianToApkVersion(record.version);
      if (dep && opts.existing.some((e) => e.name === record.package && e.version === version)) {
        unresolved.push({ ...base, version, status: 'skipped', reason: 'already in the repository at this version' });
        continue;
      }
      const bytes = await fetchDeb(opts.source, record, opts.cache, opts.log);
      const converted = await convertDeb(bytes, `${basename(record.filename)}`);
      if (converted.control.package !== record.package || converted.control.version !== record.version) {
        throw new KilnError('DEB_INVALID', `${record.url}: the .deb says ${converted.control.package} ${converted.control.version}, the index ${record.package} ${record.version}`);
      }
      resolved.push({ seq, request, ...(dep ? { requiredBy: item.requiredBy } : {}), record, converted });
      for (const p of converted.control.provides) present.add(p.name);
      if (opts.withDeps) {
        for (const group of [...converted.control.preDepends, ...converted.control.depends]) {
          queue.push({ alternatives: group.map((r) => ({ name: r.name })), requiredBy: record.package });
        }
      }
    } catch (e) {
      unresolved.push({ ...base, status: 'failed', reason: describeError(e), ...codeOf(e) });
    }
  }
  return { resolved, unresolved };
}

/**
 * The .deb's bytes, from the source cache when it has them (re-hashed against the index
 * record), else downloaded (apt checks them, then kiln re-checks) and added to the cache.
 */
export async function fetchDeb(source: DebSource, record: ArchiveRecord, cache: SourceCache | undefined, log?: (line: string) => void): Promise<Buffer> {
  const digest = parseDigest(`sha256:${record.sha256}`);
  if (cache !== undefined && (await cache.has(digest))) {
    const bytes = await readFile(cache.path(digest));
    verifyDeb(bytes, { ...record, url: `${record.url} (source cache ${cache.path(digest)})` });
    log?.(`${basename(record.filename)}: from the source cache`);
    return bytes;
  }
  const bytes = await source.download(record);
  verifyDeb(bytes, record);
  if (cache !== undefined) await cache.add(bytes, { expected: digest, name: basename(record.filename), uri: record.url, origin: record.url });
  return bytes;
}

export function codeOf(e: unknown): { code?: KilnErrorCode } {
  return isKilnError(e) ? { code: e.code } : {};
}
