import { chmod, lchown, link, mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KilnError } from '../errors/index.ts';
import { lstatOrUndefined, resolveParentInRoot } from '../files/index.ts';
import { assertEntryPath, symlinkEscapesRoot, type ApkFile } from './apk-file.ts';

function unsafe(path: string, why: string): KilnError {
  return new KilnError('PATH_UNSAFE', `extracting ${JSON.stringify(path)}: ${why}`);
}


/**
 * The host path of the directory that will hold `path`, symlinks followed inside `root`
 * as a chroot would; a parent that is missing, not a directory, or outside is refused.
 */
async function resolveParent(root: string, path: string): Promise<string> {
  const parent = await resolveParentInRoot(root, path, (why) => unsafe(path, why));
  switch (parent.kind) {
    case 'directory':
      return join(root, ...parent.parts);
    case 'missing':
      throw unsafe(path, `its parent directory ${JSON.stringify(parent.at)} does not exist`);
    case 'not-a-directory':
      throw unsafe(path, `${JSON.stringify(parent.at)} is not a directory`);
  }
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
