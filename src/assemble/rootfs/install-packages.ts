import { createHash } from 'node:crypto';
import { checkedSha1Of, satisfies, type ApkFile, type ApkIndexEntry, type DecodedApk } from '../../apk/index.ts';
import { KilnError } from '../../errors/index.ts';
import type { FsEntry } from '../fs-entry.ts';
import type { CompressedRun } from '../layer/standalone-run.ts';
import type { InstalledPackage, InstalledPath } from './installed-db.ts';
import type { RootfsTree } from './rootfs-tree.ts';

/** A chosen package with its verified contents, in install order. */
export type PackageToInstall = {
  readonly entry: ApkIndexEntry;
  readonly apk: DecodedApk;
  /** Compressed runs of its large files, prepared for an image layer while it was read. */
  readonly runs?: ReadonlyMap<ApkFile, CompressedRun>;
};

type Owner = { readonly pkg: number; readonly pkgPath: string };

function sha1(data: Uint8Array | string): Uint8Array {
  return createHash('sha1').update(data).digest();
}

function label(e: ApkIndexEntry): string {
  return `${e.name}-${e.version}`;
}

/** Whether `by` may overwrite files of `victim` (its `replaces` names it), as apk allows. */
function replaces(by: ApkIndexEntry, victim: ApkIndexEntry): boolean {
  return by.replaces.some((c) => !c.conflict && satisfies(c, victim.name, victim.version, victim.checksum));
}

function sameContent(a: FsEntry, b: FsEntry): boolean {
  if (a.kind === 'file' && b.kind === 'file') {
    return a.mode === b.mode && a.uid === b.uid && a.gid === b.gid && a.content.kind === 'bytes' && b.content.kind === 'bytes' && Buffer.from(a.content.data).equals(b.content.data);
  }
  if (a.kind === 'symlink' && b.kind === 'symlink') return a.target === b.target;
  if (a.kind === 'hardlink' && b.kind === 'hardlink') return a.target === b.target;
  return false;
}

/**
 * Puts each package's files into the tree, in order, the way apk installs them: a
 * directory several packages hold keeps the first one's owner and mode; a file, symlink
 * or hard link that another package already placed is an error (FILE_CONFLICT) unless
 * the content is identical or one package `replaces` the other, in which case the
 * replacing package's file stays and owns the path. Returns what each package owns,
 * for `lib/apk/db/installed`.
 */
export function installPackages(tree: RootfsTree, packages: readonly PackageToInstall[]): InstalledPackage[] {
  const owners = new Map<string, Owner>(); // resolved path → who owns it
  const dropped = packages.map(() => new Set<string>()); // package paths a later package took over
  const recorded: InstalledPath[][] = packages.map(() => []);

  packages.forEach(({ entry, apk, runs }, index) => {
    const where = `package ${label(entry)}`;
    const contentOf = new Map<string, Uint8Array>();
    for (const f of apk.files) {
      const at = `${where}: ${f.path}`;
      if (f.kind === 'directory') {
        const path = tree.resolve(f.path, at, { followLast: true });
        const existing = tree.get(path);
        if (existing === undefined) tree.set({ kind: 'directory', path, mode: f.mode & 0o7777, uid: f.uid, gid: f.gid });
        else if (existing.kind !== 'directory') throw conflict(path, f, existing, owners.get(path), packages, entry);
        recorded[index]?.push({ kind: 'directory', path: f.path, mode: f.mode & 0o7777, uid: f.uid, gid: f.gid });
        continue;
      }
      const path = tree.resolve(f.path, at);
      tree.ensureParents(path);
      const incoming = toEntry(f, path, tree, at, runs?.get(f));
      const existing = tree.get(path);
      if (existing !== undefined) {
        const owner = owners.get(path);
        const ownerEntry = owner !== undefined ? packages[owner.pkg]?.entry : undefined;
        if (existing.kind === 'directory') throw conflict(path, f, existing, owner, packages, entry);
        if (owner !== undefined && ownerEntry !== undefined && !sameContent(existing, incoming)) {
          if (replaces(entry, ownerEntry)) dropped[owner.pkg]?.add(owner.pkgPath);
          else if (replaces(ownerEntry, entry)) {
            dropped[index]?.add(f.path);
            recordFile(recorded[index], f, contentOf);
            continue;
          } else throw conflict(path, f, existing, owner, packages, entry);
        } else if (owner !== undefined) dropped[owner.pkg]?.add(owner.pkgPath);
      }
      tree.set(incoming);
      owners.set(path, { pkg: index, pkgPath: f.path });
      recordFile(recorded[index], f, contentOf);
    }
  });
  return packages.map(({ entry }, i) => ({
    entry,
    paths: (recorded[i] ?? []).filter((p) => p.kind === 'directory' || !dropped[i]?.has(p.path)),
  }));
}

function recordFile(out: InstalledPath[] | undefined, f: ApkFile, contentOf: Map<string, Uint8Array>): void {
  if (f.kind === 'directory') return;
  let digest: Uint8Array;
  let mode: number;
  switch (f.kind) {
    case 'file':
      contentOf.set(f.path, f.content);
      digest = checkedSha1Of(f) ?? sha1(f.content); // readApk's, already checked against the package
      mode = f.mode;
      break;
    case 'symlink':
      digest = sha1(f.target);
      mode = 0o777;
      break;
    case 'hardlink':
      // apk records a hard link with its target's checksum
      digest = sha1(contentOf.get(f.target) ?? new Uint8Array());
      mode = f.mode;
      break;
  }
  out?.push({ kind: 'file', path: f.path, mode: mode & 0o7777, uid: f.uid, gid: f.gid, sha1: digest });
}

function toEntry(f: Exclude<ApkFile, { kind: 'directory' }>, path: string, tree: RootfsTree, at: string, compressed: CompressedRun | undefined): FsEntry {
  switch (f.kind) {
    case 'file':
      return { kind: 'file', path, mode: f.mode & 0o7777, uid: f.uid, gid: f.gid, content: { kind: 'bytes', data: f.content, ...(compressed !== undefined && { compressed }) } };
    case 'symlink':
      return { kind: 'symlink', path, mode: 0o777, uid: f.uid, gid: f.gid, target: f.target };
    case 'hardlink': {
      const target = tree.resolve(f.target, `${at}: hard link target`);
      const t = tree.get(target);
      if (t?.kind !== 'file' && t?.kind !== 'hardlink') {
        throw new KilnError('PATH_UNSAFE', `${at}: hard link target ${JSON.stringify(f.target)} is not a regular file inside the root`);
      }
      return { kind: 'hardlink', path, target };
    }
  }
}

function conflict(path: string, f: ApkFile, existing: FsEntry, owner: Owner | undefined, packages: readonly PackageToInstall[], entry: ApkIndexEntry): KilnError {
  const by = owner !== undefined ? packages[owner.pkg]?.entry : undefined;
  const other = by !== undefined ? `${label(by)} installed a ${existing.kind} there` : `a ${existing.kind} is already there`;
  return new KilnError(
    'FILE_CONFLICT',
    `/${path}: ${label(entry)} brings a ${f.kind} (${f.path}) but ${other}; neither package replaces the other (add "replaces" to one of them, or leave one out)`,
  );
}
