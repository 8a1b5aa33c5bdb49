import { lstat, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { KilnError } from '../errors/index.ts';

const MAX_SYMLINK_HOPS = 40;

/** Where the parent of a path inside a root is, as a chroot would see it. */
export type ParentInRoot =
  /** The parent directory, relative to the root (`[]` for the root itself), symlinks resolved. */
  | { readonly kind: 'directory'; readonly parts: readonly string[] }
  /** A component on the way does not exist (its path relative to the root, as met). */
  | { readonly kind: 'missing'; readonly at: string }
  /** A component on the way is a file, not a directory. */
  | { readonly kind: 'not-a-directory'; readonly at: string };

/**
 * Resolves the directory that holds `path` (relative to `root`) the way a chroot would:
 * symlinks met on the way are followed inside `root` (absolute targets start at `root`).
 * A `..` that climbs above the root, or a symlink loop, throws PATH_UNSAFE (via `unsafe`,
 * so callers word it in their own terms).
 */
export async function resolveParentInRoot(
  root: string,
  path: string,
  unsafe: (why: string) => KilnError = (why) => new KilnError('PATH_UNSAFE', `${path}: ${why}`),
): Promise<ParentInRoot> {
  let pending = path.split('/').slice(0, -1);
  const resolved: string[] = [];
  let hops = 0;
  while (pending.length > 0) {
    const [part, ...rest] = pending as [string, ...string[]];
    pending = rest;
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (resolved.length === 0) throw unsafe('a symlink on the way leads above the root');
      resolved.pop();
      continue;
    }
    const host = join(root, ...resolved, part);
    const st = await lstatOrUndefined(host);
    if (st === undefined) return { kind: 'missing', at: [...resolved, part].join('/') };
    if (st.isSymbolicLink()) {
      if (++hops > MAX_SYMLINK_HOPS) throw unsafe('too many levels of symlinks');
      const target = await readlink(host);
      if (target.startsWith('/')) resolved.length = 0;
      pending = [...target.split('/'), ...pending];
      continue;
    }
    if (!st.isDirectory()) return { kind: 'not-a-directory', at: [...resolved, part].join('/') };
    resolved.push(part);
  }
  return { kind: 'directory', parts: resolved };
}

/** lstat, or undefined when nothing is there. */
export async function lstatOrUndefined(p: string): Promise<Awaited<ReturnType<typeof lstat>> | undefined> {
  try {
    return await lstat(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}
