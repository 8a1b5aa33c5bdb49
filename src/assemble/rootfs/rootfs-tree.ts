import { KilnError } from '../../errors/index.ts';
import { comparePaths, normalizeEntryPath, type FsEntry } from '../fs-entry.ts';

const MAX_SYMLINK_HOPS = 40;

/**
 * A root filesystem being put together in memory: one entry per path, resolved the way
 * a chroot would see it. Paths given to it are resolved through symlinks already in
 * the tree (absolute targets start at the root; a `..` above the root is refused), so
 * a package directory `lib/` lands in `usr/lib/` when an earlier package made
 * `lib -> usr/lib`, and nothing can be placed outside the root.
 */
export class RootfsTree {
  readonly #entries = new Map<string, FsEntry>();

  get(path: string): FsEntry | undefined {
    return this.#entries.get(path);
  }

  has(path: string): boolean {
    return this.#entries.has(path);
  }

  /** Stores an entry under its (already resolved) path, replacing what was there. */
  set(entry: FsEntry): void {
    this.#entries.set(entry.path, entry);
  }

  delete(path: string): void {
    this.#entries.delete(path);
  }

  /** Every path at or below `path`, in layer order. */
  subtree(path: string): string[] {
    return [...this.#entries.keys()].filter((p) => p === path || p.startsWith(`${path}/`)).sort(comparePaths);
  }

  entries(): FsEntry[] {
    return [...this.#entries.values()];
  }

  /**
   * Where `path` lands: its parent directories resolved through symlinks in the tree.
   * With `followLast`, a symlink in the last component is followed too (for a
   * directory entry meeting a merged-usr link). Throws PATH_UNSAFE on escapes and loops.
   */
  resolve(path: string, where: string, options: { readonly followLast?: boolean } = {}): string {
    let pending = normalize(path, where).split('/');
    const resolved: string[] = [];
    let hops = 0;
    while (pending.length > 0) {
      const [part, ...rest] = pending as [string, ...string[]];
      pending = rest;
      if (part === '' || part === '.') continue;
      if (part === '..') {
        if (resolved.length === 0) throw new KilnError('PATH_UNSAFE', `${where}: ${JSON.stringify(path)} leads above the root through a symlink`);
        resolved.pop();
        continue;
      }
      const here = [...resolved, part].join('/');
      const entry = this.#entries.get(here);
      const isLast = pending.length === 0;
      if (entry?.kind === 'symlink' && (!isLast || options.followLast)) {
        if (++hops > MAX_SYMLINK_HOPS) throw new KilnError('PATH_UNSAFE', `${where}: ${JSON.stringify(path)}: too many levels of symlinks`);
        if (entry.target.startsWith('/')) resolved.length = 0;
        pending = [...entry.target.split('/'), ...pending];
        continue;
      }
      if (!isLast && entry !== undefined && entry.kind !== 'directory') {
        throw new KilnError('FILE_CONFLICT', `${where}: ${JSON.stringify(path)} needs ${JSON.stringify(here)} to be a directory, but it is a ${entry.kind}`);
      }
      resolved.push(part);
    }
    if (resolved.length === 0) throw new KilnError('PATH_UNSAFE', `${where}: ${JSON.stringify(path)} names the root directory`);
    return resolved.join('/');
  }

  /** Adds missing parent directories of `path` (0755 root:root), as `mkdir -p` would. */
  ensureParents(path: string): void {
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      if (!this.#entries.has(dir)) this.#entries.set(dir, { kind: 'directory', path: dir, mode: 0o755, uid: 0, gid: 0 });
    }
  }
}

function normalize(path: string, where: string): string {
  try {
    return normalizeEntryPath(path);
  } catch (e) {
    throw new KilnError('PATH_UNSAFE', `${where}: ${(e as Error).message}`, { cause: e });
  }
}
