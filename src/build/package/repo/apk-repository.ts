import { lstat, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  compareIndexEntries,
  decodeApk,
  indexEntryFor,
  indexPathFor,
  publicPemOf,
  readApk,
  readApkIndex,
  writeApkIndex,
  type ApkIndexEntry,
  type ApkKeyring,
  type ApkSigningKey,
} from '../../../apk/index.ts';
import { KilnError, isKilnError } from '../../../errors/index.ts';
import { withLock } from '../../environment/index.ts';
import { writeFileAtomic } from '../../../files/index.ts';

/** A package ready to publish: its bytes and files that travel with it (provenance). */
export type StagedPackage = {
  readonly fileName: string;
  readonly bytes: Uint8Array;
  readonly extras: readonly { readonly fileName: string; readonly content: string }[];
};

export type PublishResult = { readonly indexPath: string; readonly entries: number; readonly replaced: readonly string[] };

const ARCH = /^[A-Za-z0-9_-]+$/;
/** Held while an index is read, changed and rewritten (a dot file: never taken for a package). */
const LOCK_FILE = '.APKINDEX.lock';

/** The public half of a signing key as a one-key keyring. */
export function keyringFor(key: ApkSigningKey): ApkKeyring {
  return new Map([[key.keyName, publicPemOf(key.privatePem)]]);
}

/**
 * Puts packages into `<repo>/<arch>/` and re-signs its APKINDEX.tar.gz. Policy: entries
 * for other packages stay; other versions of these packages stay too (apk picks the
 * newest, and an image pinned to the older one still resolves); an entry with the same
 * name and version is replaced by the new build. Each file is written atomically and
 * the index last, so a reader sees the old index (with old or new package files beside
 * it) or the new one, never a half-written file. The existing index must verify with
 * the signing key (else INDEX_INVALID: run `kiln repo index` to rebuild it from the
 * packages present). Index mtimes are the newest builddate in it, so an unchanged
 * repository gets a byte-identical index.
 */
export async function publishPackages(repo: string, arch: string, staged: readonly StagedPackage[], key: ApkSigningKey): Promise<PublishResult> {
  if (!ARCH.test(arch)) throw new KilnError('USAGE', `arch ${JSON.stringify(arch)}: expected letters, digits, "_" or "-"`);
  const dir = join(repo, arch);
  await mkdir(dir, { recursive: true });
  // two builds publishing to one repository at once must not each drop the other's entries
  return withLock(join(dir, LOCK_FILE), () => publishLocked(repo, arch, staged, key), { timeoutMs: 10 * 60 * 1000 });
}

async function publishLocked(repo: string, arch: string, staged: readonly StagedPackage[], key: ApkSigningKey): Promise<PublishResult> {
  const dir = join(repo, arch);
  const keys = keyringFor(key);
  const indexPath = indexPathFor(repo, arch);
  let existing: readonly ApkIndexEntry[] = [];
  if (await exists(indexPath)) {
    try {
      existing = (await readApkIndex(indexPath, { keys })).entries;
    } catch (e) {
      const why = isKilnError(e) ? e.message : String(e);
      throw new KilnError('INDEX_INVALID', `${indexPath}: cannot be updated with key ${key.keyName}: ${why}; rebuild it with \`kiln repo index ${repo} --key KEY\``, { cause: e });
    }
  }
  const fresh: ApkIndexEntry[] = [];
  for (const p of staged) {
    const decoded = await decodeApk(p.bytes, { keys }, p.fileName);
    fresh.push(indexEntryFor(decoded, arch));
  }
  const same = new Set(fresh.map((e) => `${e.name}\0${e.version}`));
  const kept = existing.filter((e) => !same.has(`${e.name}\0${e.version}`));
  const replaced = existing.filter((e) => same.has(`${e.name}\0${e.version}`)).map((e) => `${e.name}-${e.version}`);
  for (const p of staged) {
    await writeFileAtomic(join(dir, p.fileName), p.bytes);
    for (const x of p.extras) await writeFileAtomic(join(dir, x.fileName), x.content);
  }
  const entries = [...kept, ...fresh].sort(compareIndexEntries);
  await writeIndex(indexPath, entries, key);
  return { indexPath, entries: entries.length, replaced };
}

/**
 * `kiln repo index`: rewrites and signs `<repo>/<arch>/APKINDEX.tar.gz` for every arch
 * directory from the APK files present. Each package must be signed by `keys` (its
 * signature, data hash and file checksums are verified) or the whole run stops naming
 * it; an arch directory without packages is left alone.
 */
export async function reindexRepository(repo: string, key: ApkSigningKey, keys: ApkKeyring = keyringFor(key)): Promise<readonly { readonly arch: string; readonly indexPath: string; readonly packages: number }[]> {
  let archs: string[];
  try {
    archs = (await readdir(repo, { withFileTypes: true })).filter((d) => d.isDirectory() && ARCH.test(d.name)).map((d) => d.name).sort();
  } catch (e) {
    throw new KilnError('NOT_FOUND', `repository ${repo}: ${(e as Error).message}`, { cause: e });
  }
  const out: { arch: string; indexPath: string; packages: number }[] = [];
  for (const arch of archs) {
    const dir = join(repo, arch);
    const files = (await readdir(dir)).filter((n) => n.endsWith('.apk') && !n.startsWith('.')).sort();
    if (files.length === 0) continue;
    const entries: ApkIndexEntry[] = [];
    for (const f of files) {
      const pkg = await readApk(join(dir, f), { keys });
      if (pkg.info.arch !== arch && pkg.info.arch !== 'noarch') {
        throw new KilnError('PACKAGE_INVALID', `${join(dir, f)}: built for ${pkg.info.arch}, found in the ${arch} directory`);
      }
      entries.push(indexEntryFor(pkg, arch));
    }
    const indexPath = indexPathFor(repo, arch);
    await withLock(join(dir, LOCK_FILE), () => writeIndex(indexPath, entries.sort(compareIndexEntries), key), { timeoutMs: 10 * 60 * 1000 });
    out.push({ arch, indexPath, packages: entries.length });
  }
  return out;
}

async function writeIndex(path: string, entries: readonly ApkIndexEntry[], key: ApkSigningKey): Promise<void> {
  const sourceDateEpoch = entries.reduce((m, e) => Math.max(m, e.buildDate), 0);
  await writeApkIndex(path, { entries, key, sourceDateEpoch });
}

async function exists(path: string): Promise<boolean> {
  return (await lstat(path).catch(() => undefined)) !== undefined;
}

