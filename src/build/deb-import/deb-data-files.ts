import { assertEntryPath, symlinkEscapesRoot, type ApkFile } from '../../apk/index.ts';
import { KilnError, isKilnError } from '../../errors/index.ts';
import type { DebTarEntry } from './read-deb.ts';

export type DebDataFiles = {
  readonly files: readonly ApkFile[];
  /** The newest mtime in the data tar: Debian clamps these to the changelog date. */
  readonly newestMtime: number;
};

/**
 * A .deb's data tar as APK package files. Refuses (ARCHIVE_UNSAFE) absolute paths, `..`
 * components, and relative symlinks that climb above the root; refuses (DEB_INVALID)
 * device nodes, FIFOs, duplicate paths and hard links to anything but an earlier
 * regular file. Hard-link groups are re-anchored on the path that sorts first, because
 * an APK data tar is sorted and a link must come after the file it names.
 */
export function debDataFiles(entries: readonly DebTarEntry[], where: string): DebDataFiles {
  const byPath = new Map<string, ApkFile>();
  /** hard-link group anchor (the tar's regular file) → every path in the group */
  const groups = new Map<string, string[]>();
  let newestMtime = 0;
  for (const e of entries) {
    newestMtime = Math.max(newestMtime, e.mtime);
    const path = normalise(e.name);
    if (path === '') continue;
    const at = `${where}: data entry ${JSON.stringify(e.name)}`;
    safePath(path, at);
    if (byPath.has(path)) throw new KilnError('DEB_INVALID', `${at}: appears twice`);
    const owner = { uid: e.uid, gid: e.gid, ...(e.uname !== '' ? { uname: e.uname } : {}), ...(e.gname !== '' ? { gname: e.gname } : {}) };
    switch (e.type) {
      case 'directory':
        byPath.set(path, { kind: 'directory', path, mode: e.mode, ...owner });
        break;
      case 'file':
        byPath.set(path, { kind: 'file', path, mode: e.mode, content: e.content, ...owner });
        break;
      case 'symlink': {
        const target = e.linkname ?? '';
        if (target === '' || target.includes('\0')) throw new KilnError('DEB_INVALID', `${at}: symlink with an empty target or a NUL byte`);
        if (symlinkEscapesRoot(path, target)) throw new KilnError('ARCHIVE_UNSAFE', `${at}: symlink to ${JSON.stringify(target)} leads outside the root`);
        byPath.set(path, { kind: 'symlink', path, target, ...owner });
        break;
      }
      case 'link': {
        const target = normalise(e.linkname ?? '');
        safePath(target, `${at}: hard link target`);
        const anchor = byPath.get(target);
        if (anchor?.kind !== 'file') throw new KilnError('DEB_INVALID', `${at}: hard link to ${JSON.stringify(e.linkname)}, which is not an earlier regular file`);
        byPath.set(path, { kind: 'hardlink', path, target, mode: anchor.mode, ...owner });
        groups.set(target, [...(groups.get(target) ?? [target]), path]);
        break;
      }
      case 'other':
        throw new KilnError('DEB_INVALID', `${at}: tar type ${e.rawType} (device node, FIFO…) cannot be packaged; APK data holds files, directories and links`);
    }
  }
  for (const [anchor, paths] of groups) {
    const first = [...paths].sort(compareBytes)[0] ?? anchor;
    if (first === anchor) continue;
    const file = byPath.get(anchor);
    if (file?.kind !== 'file') continue;
    for (const p of paths) {
      const old = byPath.get(p);
      if (old === undefined) continue;
      const { uid, gid, uname, gname } = old;
      const owner = { uid, gid, ...(uname !== undefined ? { uname } : {}), ...(gname !== undefined ? { gname } : {}) };
      byPath.set(p, p === first ? { ...file, path: p, ...owner } : { kind: 'hardlink', path: p, target: first, mode: file.mode, ...owner });
    }
  }
  return { files: [...byPath.values()].sort((a, b) => compareBytes(a.path, b.path)), newestMtime };
}

/** `./usr/bin/x` → `usr/bin/x`; `./` and `.` → '' (the root, which APK data does not list). */
function normalise(name: string): string {
  return name.replace(/^\.\/+/, '').replace(/^\.$/, '').replace(/\/+$/, '');
}

function safePath(path: string, at: string): void {
  try {
    assertEntryPath(path, at);
  } catch (e) {
    if (isKilnError(e) && e.code === 'PATH_UNSAFE') throw new KilnError('ARCHIVE_UNSAFE', e.message, { cause: e });
    throw e;
  }
}

function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
