import { createHash } from 'node:crypto';
import { access, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  apkFileName,
  indexEntryFor,
  indexPathFor,
  publicPemOf,
  readApk,
  readApkIndex,
  writeApk,
  writeApkIndex,
  type ApkIndexEntry,
  type ApkKeyring,
  type ApkSigningKey,
  type ApkVersion,
} from '../../apk/index.ts';
import { describeError, isKilnError, KilnError, type KilnErrorCode } from '../../errors/index.ts';
import { writeFileAtomic } from '../../files/index.ts';
import { withLock } from '../environment/index.ts';
import type { SourceCache } from '../source/index.ts';
import { planApkInfo, type AvailableNames } from './convert-deb.ts';
import { debProvenance, describeDropped, encodeDebProvenance } from './deb-provenance.ts';
import { apkArchOf, debianArchOf } from './debian-arch.ts';
import { codeOf, resolveImports, type DebRequest, type DebSource, type ResolvedDeb } from './resolve-imports.ts';

/** The lock file `kiln package build` also holds while it rewrites an index. */
const INDEX_LOCK = '.APKINDEX.lock';

export type ImportDebsOptions = {
  readonly requests: readonly DebRequest[];
  readonly source: DebSource;
  /** The repository root; packages go to `<repo>/<arch>/`. */
  readonly repo: string;
  /** APK architecture of the repository directory (`x86_64`, `aarch64`). */
  readonly arch: string;
  readonly key: ApkSigningKey;
  /** Further keys the existing index may be signed with. */
  readonly trustedKeys?: ApkKeyring;
  readonly cache?: SourceCache | undefined;
  readonly withDeps?: boolean;
  /** Bound on the --with-deps closure (default 100). */
  readonly maxPackages?: number;
  readonly log?: ((line: string) => void) | undefined;
};

/** One result per package, imported or not. */
export type DebImportResult = {
  readonly request: string;
  readonly name: string;
  readonly status: 'imported' | 'skipped' | 'failed';
  readonly reason: string;
  /** The error's code, for a failure. */
  readonly code?: KilnErrorCode;
  readonly requiredBy?: string;
  readonly debianVersion?: string;
  readonly version?: ApkVersion;
  readonly file?: string;
  readonly provenance?: string;
  readonly maintainerScriptsNotRun?: readonly string[];
  readonly droppedDependencies?: readonly string[];
};

/**
 * `kiln package import-deb`: fetches Debian binary packages verifiably, converts them to
 * signed APKs in `<repo>/<arch>/` with a provenance record beside each, and re-signs the
 * index with the old entries kept (those of a re-imported name and version replaced).
 * The index is written once, after every package file is in place.
 */
export async function importDebs(opts: ImportDebsOptions): Promise<readonly DebImportResult[]> {
  const debianArch = debianArchOf(opts.arch);
  const repoArch = apkArchOf(debianArch);
  const dir = join(opts.repo, repoArch);
  const keys = new Map(opts.trustedKeys ?? []);
  keys.set(opts.key.keyName, publicPemOf(opts.key.privatePem));
  const indexPath = indexPathFor(opts.repo, repoArch);
  const existing = await readExistingIndex(indexPath, keys);
  const { resolved, unresolved } = await resolveImports({
    requests: opts.requests,
    source: opts.source,
    debianArch,
    existing: existing.entries,
    cache: opts.cache,
    withDeps: opts.withDeps ?? false,
    maxPackages: opts.maxPackages ?? 100,
    log: opts.log,
  });
  const results: (DebImportResult & { readonly seq: number })[] = unresolved.map((u) => ({ ...u }));
  if (resolved.length > 0) {
    await mkdir(dir, { recursive: true });
    // the same lock `kiln package build` takes: two writers must not drop each other's entries
    await withLock(join(dir, INDEX_LOCK), async () => results.push(...(await publish(resolved, dir, indexPath, repoArch, opts.key, keys))), { timeoutMs: 10 * 60_000 });
  }
  return results.sort((a, b) => a.seq - b.seq).map(({ seq: _seq, ...r }) => r);
}

/** Writes the packages, their provenance and then the index, with the index lock held. */
async function publish(
  resolved: readonly ResolvedDeb[],
  dir: string,
  indexPath: string,
  repoArch: string,
  key: ApkSigningKey,
  keys: ApkKeyring,
): Promise<(DebImportResult & { readonly seq: number })[]> {
  // read again under the lock: another writer may have changed the index since resolving
  const existing = await readExistingIndex(indexPath, keys);
  const available = availableNames(existing.entries, resolved);
  const results: (DebImportResult & { readonly seq: number })[] = [];
  const written: ApkIndexEntry[] = [];
  for (const r of resolved) {
    try {
      const { entry, result } = await writeImported(r, available, dir, repoArch, key, keys);
      written.push(entry);
      results.push({ ...result, seq: r.seq });
    } catch (e) {
      results.push({ seq: r.seq, request: r.request, name: r.converted.name, ...(r.requiredBy !== undefined ? { requiredBy: r.requiredBy } : {}), debianVersion: r.record.version, status: 'failed', reason: describeError(e), ...codeOf(e) });
    }
  }
  if (written.length > 0) {
    const replaced = (e: ApkIndexEntry): boolean => written.some((w) => w.name === e.name && w.version === e.version);
    const entries = [...existing.entries.filter((e) => !replaced(e)), ...written];
    // the index's own timestamps follow its newest package, so the same packages give the same index
    const sourceDateEpoch = entries.reduce((m, e) => Math.max(m, e.buildDate), 0);
    await writeApkIndex(indexPath, { entries, ...(existing.description !== '' ? { description: existing.description } : {}), key, sourceDateEpoch });
  }
  return results;
}

async function writeImported(
  r: ResolvedDeb,
  available: AvailableNames,
  dir: string,
  repoArch: string,
  key: ApkSigningKey,
  keys: ApkKeyring,
): Promise<{ entry: ApkIndexEntry; result: DebImportResult }> {
  const c = r.converted;
  const plan = planApkInfo(c, available);
  const file = apkFileName({ name: c.name, version: c.version });
  const path = join(dir, file);
  const encoded = await writeApk(path, { info: plan.info, files: c.files, key, sourceDateEpoch: c.sourceDateEpoch });
  // read back as apk-tools would: signature, datahash, every file checksum
  const decoded = await readApk(path, { keys });
  const provenanceFile = `${c.name}-${c.version}.provenance.json`;
  const provenance = debProvenance({ converted: c, plan, record: r.record, file, checksum: decoded.checksum, sha256: createHash('sha256').update(encoded.bytes).digest('hex') });
  await writeFileAtomic(join(dir, provenanceFile), encodeDebProvenance(provenance));
  const notes = [
    c.maintainerScripts.length > 0 ? `maintainer scripts not run: ${c.maintainerScripts.join(', ')}` : '',
    plan.dropped.length > 0 ? `dependencies left out (not in the repository): ${plan.dropped.map(describeDropped).join(', ')}` : '',
  ].filter((n) => n !== '');
  return {
    entry: indexEntryFor(decoded, repoArch),
    result: {
      request: r.request,
      name: c.name,
      ...(r.requiredBy !== undefined ? { requiredBy: r.requiredBy } : {}),
      status: 'imported',
      reason: notes.length > 0 ? notes.join('; ') : `Debian ${c.control.package} ${c.control.version}`,
      debianVersion: c.control.version,
      version: c.version,
      file: path,
      provenance: join(dir, provenanceFile),
      maintainerScriptsNotRun: c.maintainerScripts,
      droppedDependencies: plan.dropped.map(describeDropped),
    },
  };
}

/** Names and sonames the finished repository will offer: what it had plus this batch. */
function availableNames(existing: readonly ApkIndexEntry[], batch: readonly ResolvedDeb[]): AvailableNames {
  const names = new Set<string>();
  const sonames = new Set<string>();
  const add = (name: string): void => {
    if (name.startsWith('so:')) sonames.add(name.slice(3));
    else names.add(name);
  };
  for (const e of existing) {
    add(e.name);
    for (const p of e.provides) add(p.name);
  }
  for (const r of batch) {
    add(r.converted.name);
    for (const p of r.converted.control.provides) add(p.name);
    for (const p of r.converted.soNames.provides) sonames.add(p.soname);
  }
  return { names, sonames };
}

async function readExistingIndex(path: string, keys: ApkKeyring): Promise<{ entries: readonly ApkIndexEntry[]; description: string }> {
  try {
    await access(path);
  } catch {
    return { entries: [], description: '' };
  }
  try {
    const index = await readApkIndex(path, { keys });
    return { entries: index.entries, description: index.description };
  } catch (e) {
    if (isKilnError(e) && e.code === 'SIGNATURE_INVALID') {
      throw new KilnError('SIGNATURE_INVALID', `${path}: the existing index is not signed by the import key (${[...keys.keys()].join(', ')}); pass --key with the repository's key. ${e.message}`, { cause: e });
    }
    throw e;
  }
}
