import { chmod, lchown, link, lstat, mkdir, readlink, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KilnError } from '../errors/index.ts';
import { assertEntryPath, symlinkEscapesRoot, type ApkFile } from './apk-file.ts';

const MAX_SYMLINK_HOPS = 40;

function unsafe(path: string, why: string): KilnError {
  return new KilnError('PATH_UNSAFE', `extracting ${JSON.stringify(path)}: ${why}`);
}

async function lstatOrUndefined(p: string): Promise<Awaited<ReturnType<typeof lstat>> | undefined> {
  try {
    return await lstat(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/**
 * Resolves the directory that will hold `path` the way a chroot would: symlinks met on
 * the way are followed inside `root` (absolute targets start at `root`), and a `..`
 * that would climb above `root` is refused. Returns the host path of the parent.
 */
async function resolveParent(root: string, path: string): Promise<string> {
  let pending = path.split('/').slice(0, -1);
  const resolved: string[] = [];
  let hops = 0;
  while (pending.length > 0) {
    const [part, ...rest] = pending as [string, ...string[]];
    pending = rest;
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (resolved.length === 0) throw unsafe(path, 'a symlink on the way leads above the root');
      resolved.pop();
      continue;
    }
    const host = join(root, ...resolved, part);
    const st = await lstatOrUndefined(host);
    if (st === undefined) throw unsafe(path, `its parent directory ${JSON.stringify([...resolved, part].join('/'))} does not exist`);
    if (st.isSymbolicLink()) {
      if (++hops > MAX_SYMLINK_HOPS) throw unsafe(path, 'too many levels of symlinks');
      const target = await readlink(host);
      if (target.startsWith('/')) resolved.length = 0;
      pending = [...target.split('/'), ...pending];
      continue;
    }
    if (!st.isDirectory()) throw unsafe(path, `${JSON.stringify([...resolved, part].join('/'))} is not a directory`);
    resolved.push(part);
  }
  return join(root, ...resolved);
}

export type ExtractOptions = {
  /** Set owners from the package (needs root); default false. */
  readonly chown?: boolean;
};

/**
 * Writes package files under `root`, never outside it: paths are checked again, parent
 * symlinks are followed only inside the root, symlinks whose relative target climbs
 * above the root and hard links to anything but a regular file inside are refused,
 * and existing files are never overwritten or written through.
 */
export async function extractApkFiles(files: readonly ApkFile[], root: string, options: ExtractOptions = {}): Promise<void> {
  for (const f of files) {
    assertEntryPath(f.path, 'extract');
    const parent = await resolveParent(root, f.path);
    const name = f.path.split('/').pop() ?? '';
    const host = join(parent, name);
    const existing = await lstatOrUndefined(host);
    switch (f.kind) {
      case 'directory':
        if (existing?.isSymbolicLink()) {
          // merged-usr style `lib -> usr/lib` from an earlier package: keep the link, as
          // apk does, when it leads to a directory inside the root
          await resolveParent(root, `${f.path}/.`);
          continue;
        }
        if (existing !== undefined && !existing.isDirectory()) throw unsafe(f.path, 'exists and is not a directory');
        if (existing === undefined) await mkdir(host, { mode: 0o700 });
        await chmod(host, f.mode & 0o7777);
        break;
      case 'file':
        if (existing !== undefined) throw unsafe(f.path, 'already exists');
        await writeFile(host, f.content, { flag: 'wx', mode: 0o600 });
        await chmod(host, f.mode & 0o7777);
        break;
      case 'symlink':
        if (existing !== undefined) throw unsafe(f.path, 'already exists');
        if (symlinkEscapesRoot(f.path, f.target)) throw unsafe(f.path, `symlink target ${JSON.stringify(f.target)} leads outside the root`);
        await symlink(f.target, host);
        break;
      case 'hardlink': {
        if (existing !== undefined) throw unsafe(f.path, 'already exists');
        assertEntryPath(f.target, `hard link ${JSON.stringify(f.path)}`);
        const targetHost = join(await resolveParent(root, f.target), f.target.split('/').pop() ?? '');
        const st = await lstatOrUndefined(targetHost);
        if (st === undefined || !st.isFile()) throw unsafe(f.path, `hard link target ${JSON.stringify(f.target)} is not a regular file inside the root`);
        await link(targetHost, host);
        break;
      }
    }
    if (options.chown) await lchown(host, f.uid, f.gid);
  }
}
