import { KilnError } from '../../errors/index.ts';
import type { FsEntry } from '../fs-entry.ts';
import type { PathMutation } from '../image-spec.ts';
import type { RootfsTree } from './rootfs-tree.ts';

/**
 * apko's `paths:` mutations, in the order written, after packages and accounts:
 * `directory` (mkdir -p, then mode and owner; with `recursive`, on everything below it
 * too), `empty-file` (created or emptied), `symlink` (`path` → `source`, refused when
 * `path` exists, as apko's os.Symlink refuses), `hardlink` (`path` becomes another name
 * for the file at `source`, replacing what was at `path`), and `permissions` (mode and
 * owner of an existing path; `recursive` for a tree). Like apko, every mutation but
 * `permissions` also sets `permissions`, `uid` and `gid` on the path.
 */
export function applyPathMutations(tree: RootfsTree, mutations: readonly PathMutation[]): void {
  mutations.forEach((m, i) => {
    const where = `paths[${i}] (${m.type} ${m.path})`;
    switch (m.type) {
      case 'directory': {
        const path = mkdirAll(tree, m.path, where);
        setOwner(tree, m.recursive ? tree.subtree(path) : [path], m, where);
        return;
      }
      case 'empty-file': {
        const path = tree.resolve(m.path, where, { followLast: true });
        tree.ensureParents(path);
        const existing = tree.get(path);
        if (existing?.kind === 'directory') throw new KilnError('CONFIG_INVALID', `${where}: /${path} is a directory`);
        tree.set({ kind: 'file', path, mode: m.permissions, uid: m.uid, gid: m.gid, content: { kind: 'bytes', data: new Uint8Array() } });
        return;
      }
      case 'symlink': {
        const path = tree.resolve(m.path, where);
        if (tree.has(path)) throw new KilnError('CONFIG_INVALID', `${where}: /${path} already exists`);
        if (m.source === '' || m.source.includes('\0')) throw new KilnError('CONFIG_INVALID', `${where}: source must be a non-empty path`);
        tree.ensureParents(path);
        tree.set({ kind: 'symlink', path, mode: 0o777, uid: m.uid, gid: m.gid, target: m.source });
        return;
      }
      case 'hardlink': {
        const source = tree.resolve(m.source, `${where}: source`, { followLast: true });
        const file = tree.get(source);
        if (file?.kind !== 'file' && file?.kind !== 'hardlink') {
          throw new KilnError('CONFIG_INVALID', `${where}: source ${m.source} is ${file === undefined ? 'missing' : `a ${file.kind}`}; a hard link needs a regular file`);
        }
        const path = tree.resolve(m.path, where);
        if (tree.get(path)?.kind === 'directory') throw new KilnError('CONFIG_INVALID', `${where}: /${path} is a directory`);
        tree.ensureParents(path);
        tree.set({ kind: 'hardlink', path, target: source });
        setOwner(tree, [path], m, where);
        return;
      }
      case 'permissions': {
        const path = tree.resolve(m.path, where, { followLast: true });
        if (!tree.has(path)) throw new KilnError('CONFIG_INVALID', `${where}: /${path} does not exist in the image`);
        setOwner(tree, m.recursive ? tree.subtree(path) : [path], m, where);
        return;
      }
      default: {
        const never: never = m;
        return never;
      }
    }
  });
}

function mkdirAll(tree: RootfsTree, raw: string, where: string): string {
  const path = tree.resolve(raw, where, { followLast: true });
  tree.ensureParents(path);
  const existing = tree.get(path);
  if (existing === undefined) tree.set({ kind: 'directory', path, mode: 0o755, uid: 0, gid: 0 });
  else if (existing.kind !== 'directory') throw new KilnError('CONFIG_INVALID', `${where}: /${path} exists and is a ${existing.kind}`);
  return path;
}

/** chmod + chown: symlinks keep their 0777 (Linux ignores it), hard links change their file. */
function setOwner(tree: RootfsTree, paths: readonly string[], m: PathMutation, where: string): void {
  const mode = 'permissions' in m ? m.permissions : undefined;
  for (const path of paths) {
    let target: FsEntry | undefined = tree.get(path);
    const seen = new Set<string>();
    while (target?.kind === 'hardlink') {
      if (seen.has(target.path)) throw new KilnError('CONFIG_INVALID', `${where}: hard link loop at /${target.path}`);
      seen.add(target.path);
      target = tree.get(target.target);
    }
    if (target === undefined) continue;
    const next: FsEntry = target.kind === 'symlink' ? { ...target, uid: m.uid, gid: m.gid } : { ...target, uid: m.uid, gid: m.gid, ...(mode !== undefined && { mode: mode & 0o7777 }) };
    tree.set(next);
  }
}
