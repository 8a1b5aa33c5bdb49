import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KilnError } from '../errors/index.ts';
import { writeFileAtomic } from '../files/index.ts';
import { comparePaths } from './apk-file.ts';
import { formatApkConstraint, parseApkConstraint, parseApkProvide, type ApkConstraint } from './constraint.ts';
import { gzipDeterministic, inflateMemberAt, inflateSingleMember } from './gzip.ts';
import type { ApkPackageInfo } from './package-info.ts';
import type { DecodedApk } from './read-apk.ts';
import { isSignatureEntryName, signatureEntries, verifySignatureEntries, type ApkKeyring, type ApkSignatureType, type ApkSigningKey } from './signing.ts';
import { packTar, readTar } from './tar.ts';
import { compareApkVersions, parseApkVersion, type ApkVersion } from './version.ts';
import { DEFAULT_SIGNATURE_TYPES } from './write-apk.ts';

/** One APKINDEX record: the package's metadata, its identity and its file size. */
export type ApkIndexEntry = ApkPackageInfo & {
  /** `C:` — `Q1` + base64 SHA-1 of the package's control stream. */
  readonly checksum: string;
  /** `S:` — the package file's size in bytes. */
  readonly size: number;
};

export type ApkIndex = {
  readonly description: string;
  readonly entries: readonly ApkIndexEntry[];
  /** The key whose signature verified; undefined for an unsigned index read with allowUntrusted. */
  readonly signedBy?: string;
};

/** A repository: where it is (a directory or URL, as given to apk's -X) and its index for one arch. */
export type Repository = { readonly url: string; readonly arch: string; readonly index: ApkIndex };

/** The record for a package, holding exactly what APKINDEX keeps (no packager, triggers or datahash). */
export function indexEntryFor(pkg: DecodedApk, repositoryArch?: string): ApkIndexEntry {
  const { dataHash: _dataHash, packager: _packager, ...info } = pkg.info;
  // apk-tools 2 fetches `<repo>/<A:>/<file>`, so a noarch package is listed under the
  // architecture of the directory that holds it, as `apk index --rewrite-arch` does
  const arch = info.arch === 'noarch' && repositoryArch !== undefined ? repositoryArch : info.arch;
  return { ...info, arch, triggers: [], checksum: pkg.checksum, size: pkg.size };
}

/** Name (bytes), then version (apk order), then arch, then checksum: one order on every machine. */
export function compareIndexEntries(a: ApkIndexEntry, b: ApkIndexEntry): number {
  return comparePaths(a.name, b.name) || compareApkVersions(a.version, b.version) || comparePaths(a.arch, b.arch) || comparePaths(a.checksum, b.checksum);
}

/** The APKINDEX text, records in the field order apk-tools writes, sorted. */
export function encodeApkIndexText(entries: readonly ApkIndexEntry[]): string {
  const out: string[] = [];
  for (const e of [...entries].sort(compareIndexEntries)) {
    const lines = [`C:${e.checksum}`, `P:${e.name}`, `V:${e.version}`, `A:${e.arch}`, `S:${e.size}`, `I:${e.installedSize}`, `T:${e.description}`, `U:${e.url}`, `L:${e.license}`];
    if (e.origin) lines.push(`o:${e.origin}`);
    if (e.maintainer) lines.push(`m:${e.maintainer}`);
    if (e.buildDate) lines.push(`t:${e.buildDate}`);
    if (e.commit) lines.push(`c:${e.commit}`);
    if (e.providerPriority) lines.push(`k:${e.providerPriority}`);
    const deps = (key: string, list: readonly ApkConstraint[]): void => {
      if (list.length) lines.push(`${key}:${list.map(formatApkConstraint).join(' ')}`);
    };
    deps('D', e.depends);
    deps('p', e.provides);
    deps('i', e.installIf);
    deps('r', e.replaces);
    out.push(`${lines.join('\n')}\n\n`);
  }
  return out.join('');
}

function bad(where: string, why: string): KilnError {
  return new KilnError('INDEX_INVALID', `${where}: ${why}`);
}

/** Parses APKINDEX text; errors name the line. Unknown fields are skipped, as apk-tools does. */
export function parseApkIndexText(text: string, where = 'APKINDEX'): ApkIndexEntry[] {
  const entries: ApkIndexEntry[] = [];
  let fields = new Map<string, { value: string; line: number }>();
  let start = 1;
  const finish = (): void => {
    if (fields.size === 0) return;
    const at = `${where}:${start}`;
    const get = (k: string): string | undefined => fields.get(k)?.value;
    const need = (k: string): string => {
      const v = get(k);
      if (v === undefined || v === '') throw bad(at, `record without ${k}:`);
      return v;
    };
    const wrap = <T>(k: string, f: () => T): T => {
      try {
        return f();
      } catch (e) {
        throw bad(`${where}:${fields.get(k)?.line ?? start}`, `${k}: ${(e as Error).message}`);
      }
    };
    const num = (k: string): number | undefined => {
      const v = get(k);
      if (v === undefined) return undefined;
      if (!/^[0-9]{1,15}$/.test(v)) throw bad(`${where}:${fields.get(k)?.line}`, `${k}: expected a whole number, found ${JSON.stringify(v)}`);
      return Number(v);
    };
    const list = (k: string, parse: (s: string) => ApkConstraint): ApkConstraint[] =>
      wrap(k, () => (get(k) ?? '').split(' ').filter((p) => p !== '').map(parse));
    const checksum = need('C');
    if (!/^Q1[A-Za-z0-9+/]{27}=$/.test(checksum)) throw bad(`${where}:${fields.get('C')?.line}`, `C: expected Q1 + base64 SHA-1, found ${JSON.stringify(checksum)}`);
    const version: ApkVersion = wrap('V', () => parseApkVersion(need('V')));
    const priority = num('k');
    const optional = (k: string, key: string): Record<string, string> => {
      const v = get(k);
      return v ? { [key]: v } : {};
    };
    entries.push({
      checksum,
      name: need('P'),
      version,
      arch: get('A') ?? '',
      size: num('S') ?? 0,
      installedSize: num('I') ?? 0,
      description: get('T') ?? '',
      url: get('U') ?? '',
      license: get('L') ?? '',
      ...optional('o', 'origin'),
      ...optional('m', 'maintainer'),
      ...optional('c', 'commit'),
      buildDate: num('t') ?? 0,
      depends: list('D', parseApkConstraint),
      provides: list('p', parseApkProvide),
      installIf: list('i', parseApkConstraint),
      replaces: list('r', parseApkConstraint),
      ...(priority !== undefined ? { providerPriority: priority } : {}),
      triggers: [],
    });
    fields = new Map();
  };
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    if (line === '') {
      finish();
      start = i + 2;
      return;
    }
    if (line.length < 2 || line[1] !== ':') throw bad(`${where}:${i + 1}`, `expected "X:value", found ${JSON.stringify(line.slice(0, 80))}`);
    const key = line[0] ?? '';
    if (fields.has(key)) throw bad(`${where}:${i + 1}`, `field ${key}: appears twice in one record`);
    fields.set(key, { value: line.slice(2), line: i + 1 });
  });
  finish();
  return entries;
}

export type WriteApkIndexInput = {
  readonly entries: readonly ApkIndexEntry[];
  readonly description?: string;
  readonly key: ApkSigningKey;
  readonly signatureTypes?: readonly ApkSignatureType[];
  readonly sourceDateEpoch: number;
};

/**
 * A signed APKINDEX.tar.gz: a signature stream, then one gzip tar holding DESCRIPTION
 * (when given) and APKINDEX, with the end-of-archive marker (as `apk index` writes it).
 */
export async function encodeApkIndex(input: WriteApkIndexInput): Promise<Buffer> {
  const base = { type: 'file' as const, mode: 0o644, uid: 0, gid: 0, uname: 'root', gname: 'root', mtime: input.sourceDateEpoch };
  const files = [
    ...(input.description !== undefined ? [{ ...base, name: 'DESCRIPTION', content: Buffer.from(input.description, 'utf8') }] : []),
    { ...base, name: 'APKINDEX', content: Buffer.from(encodeApkIndexText(input.entries), 'utf8') },
  ];
  const indexStream = gzipDeterministic(await packTar(files, { endOfArchive: true }));
  const signatures = signatureEntries(indexStream, input.key, input.signatureTypes ?? DEFAULT_SIGNATURE_TYPES, input.sourceDateEpoch);
  const signatureStream = gzipDeterministic(await packTar(signatures, { endOfArchive: false }));
  return Buffer.concat([signatureStream, indexStream]);
}

export async function writeApkIndex(path: string, input: WriteApkIndexInput): Promise<void> {
  await writeFileAtomic(path, await encodeApkIndex(input));
}

export type ReadApkIndexOptions = { readonly keys: ApkKeyring; readonly allowUntrusted?: boolean };

/** Reads APKINDEX.tar.gz, refusing it unless a trusted key signed it (or allowUntrusted). */
export async function decodeApkIndex(bytes: Uint8Array, options: ReadApkIndexOptions, where = 'APKINDEX.tar.gz'): Promise<ApkIndex> {
  // An index is a signature stream then the index stream, or (unsigned) the index alone.
  const first = inflateMemberAt(bytes, 0, where, 'INDEX_INVALID');
  let indexMember = first.member;
  let signedBy: string | undefined;
  if (first.end < bytes.byteLength) {
    const sig = await readTar(first.member.content, `${where}: signature`, 'INDEX_INVALID');
    const stray = sig.find((e) => !isSignatureEntryName(e.name));
    if (stray || sig.length === 0) throw bad(where, `the first gzip stream must hold only .SIGN.* entries${stray ? `, found ${JSON.stringify(stray.name)}` : ''}`);
    const signed = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).subarray(first.end);
    if (!options.allowUntrusted) signedBy = verifySignatureEntries(sig, signed, options.keys, where);
    indexMember = inflateSingleMember(signed, where, 'INDEX_INVALID');
  } else if (!options.allowUntrusted) {
    throw new KilnError('SIGNATURE_INVALID', `${where}: unsigned (no signature stream)`);
  }
  const files = await readTar(indexMember.content, where, 'INDEX_INVALID');
  const text = (name: string): string | undefined => {
    const e = files.find((f) => f.name === name);
    return e ? Buffer.from(e.content ?? []).toString('utf8') : undefined;
  };
  const index = text('APKINDEX');
  if (index === undefined) throw bad(where, 'no APKINDEX entry in the index tar');
  return { description: text('DESCRIPTION') ?? '', entries: parseApkIndexText(index, `${where}: APKINDEX`), ...(signedBy !== undefined ? { signedBy } : {}) };
}

export async function readApkIndex(path: string, options: ReadApkIndexOptions): Promise<ApkIndex> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new KilnError('NOT_FOUND', `index ${path}: ${(e as Error).message}`, { cause: e });
  }
  return decodeApkIndex(bytes, options, path);
}

/** The index path apk uses for a repository: `<dir>/<arch>/APKINDEX.tar.gz`. */
export function indexPathFor(dir: string, arch: string): string {
  return join(dir, arch, 'APKINDEX.tar.gz');
}

/** Reads several local repositories at once (each `<dir>/<arch>/APKINDEX.tar.gz`), in the given order. */
export async function readRepositories(dirs: readonly string[], arch: string, options: ReadApkIndexOptions): Promise<Repository[]> {
  return Promise.all(dirs.map(async (url) => ({ url, arch, index: await readApkIndex(indexPathFor(url, arch), options) })));
}
