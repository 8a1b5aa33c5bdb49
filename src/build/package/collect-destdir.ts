import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { symlinkEscapesRoot, type ApkFile } from '../../apk/index.ts';
import { KilnError } from '../../errors/index.ts';

/** Byte order of UTF-8 paths: the order apk and every other tool of kiln's sorts by. */
function comparePaths(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/**
 * Reads a package directory (a destdir the sandbox filled) into package files, sorted
 * by path. Owners are root:root (the build ran as an unprivileged user, so its owners
 * mean nothing), modes come from disk, and times are left to the writer
 * (SOURCE_DATE_EPOCH). The walk never follows a symlink; symlinks are kept as they are
 * unless a relative target climbs above the package root (PATH_UNSAFE); regular files
 * with the same inode become hard links to the first of them in path order; devices,
 * sockets and FIFOs are refused (PACKAGE_INVALID).
 */
export async function collectDestdir(root: string, what: string): Promise<ApkFile[]> {
  type Found = { readonly path: string; readonly kind: 'file' | 'directory' | 'symlink'; readonly mode: number; readonly inode?: string; readonly target?: string };
  const found: Found[] = [];
  const walk = async (dir: string, prefix: string): Promise<void> => {
    for (const name of (await readdir(dir)).sort()) {
      const path = prefix === '' ? name : `${prefix}/${name}`;
      const host = join(dir, name);
      const st = await lstat(host);
      if (st.isDirectory()) {
        found.push({ path, kind: 'directory', mode: st.mode & 0o7777 });
        await walk(host, path);
      } else if (st.isSymbolicLink()) {
        const target = await readlink(host);
        if (symlinkEscapesRoot(path, target)) {
          throw new KilnError('PATH_UNSAFE', `${what}: symlink ${path} → ${target} leads outside the package root`);
        }
        found.push({ path, kind: 'symlink', mode: 0o777, target });
      } else if (st.isFile()) {
        found.push({ path, kind: 'file', mode: st.mode & 0o7777, ...(st.nlink > 1 && { inode: `${st.dev}:${st.ino}` }) });
      } else {
        throw new KilnError('PACKAGE_INVALID', `${what}: ${path} is a device, socket or FIFO; a package holds files, directories and links only`);
      }
    }
  };
  // a package no step ever wrote to (no sandbox ran) is empty, not an error
  if ((await lstat(root).catch(() => undefined))?.isDirectory()) await walk(root, '');
  found.sort((a, b) => comparePaths(a.path, b.path));

  const firstByInode = new Map<string, string>();
  const files: ApkFile[] = [];
  const owner = { uid: 0, gid: 0 } as const;
  for (const f of found) {
    switch (f.kind) {
      case 'directory':
        files.push({ kind: 'directory', path: f.path, mode: f.mode, ...owner });
        break;
      case 'symlink':
        files.push({ kind: 'symlink', path: f.path, target: f.target ?? '', ...owner });
        break;
      case 'file': {
        const first = f.inode !== undefined ? firstByInode.get(f.inode) : undefined;
        if (first !== undefined) {
          files.push({ kind: 'hardlink', path: f.path, target: first, mode: f.mode, ...owner });
          break;
        }
        if (f.inode !== undefined) firstByInode.set(f.inode, f.path);
        files.push({ kind: 'file', path: f.path, mode: f.mode, content: await readFile(join(root, f.path)), ...owner });
        break;
      }
    }
  }
  return files;
}

/**
 * `files` plus a root-owned 0755 directory entry for every parent that lacks one, sorted
 * by path: the order extraction needs (a directory before what it holds).
 */
export function withParentDirectories(files: readonly ApkFile[]): ApkFile[] {
  const byPath = new Map(files.map((f) => [f.path, f]));
  for (const f of files) {
    const parts = f.path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      if (!byPath.has(dir)) byPath.set(dir, { kind: 'directory', path: dir, mode: 0o755, uid: 0, gid: 0 });
    }
  }
  return [...byPath.values()].sort((a, b) => comparePaths(a.path, b.path));
}
