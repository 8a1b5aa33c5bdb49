import { KilnError } from '../../errors/index.ts';

/**
 * The path of an archive entry inside the extraction directory, as components, after
 * `--strip-components`; `undefined` when stripping removes it entirely. Counts
 * components as GNU tar does (`./a/b` has three, so strip 1 gives `a/b`), and refuses
 * what could land outside: absolute names, any `..` component, NUL bytes.
 */
export function entryParts(name: string, strip: number, archive: string): readonly string[] | undefined {
  if (name.includes('\0')) throw unsafe(archive, name, 'contains a NUL byte');
  if (name.startsWith('/')) throw unsafe(archive, name, 'is an absolute path');
  const all = name.split('/').filter((p) => p !== '');
  if (all.includes('..')) throw unsafe(archive, name, 'contains a ".." component');
  const kept = all.slice(strip).filter((p) => p !== '.');
  return kept.length === 0 ? undefined : kept;
}

export function unsafe(archive: string, name: string, why: string): KilnError {
  return new KilnError('ARCHIVE_UNSAFE', `${archive}: entry ${JSON.stringify(name)} ${why}; refusing to extract anything from it`);
}

/** What the pre-scan remembers of each path: enough to resolve symlinks. */
export type VirtualNode = { readonly type: 'file' | 'directory' } | { readonly type: 'symlink'; readonly target: string };

const MAX_HOPS = 40;

/**
 * Resolves a symlink target the way the kernel would, over the tree the archive will
 * produce (`tree`, keyed by `a/b/c`), following symlinks that the archive itself
 * creates. Returns the resolved components, or `outside` when any step climbs above
 * the root or the target is absolute, or `loop` past 40 hops. Paths the archive does
 * not create are taken as plain directories: they either do not exist (a dangling
 * link, harmless) or pre-exist in the workspace (checked again after extraction).
 */
export function resolveInTree(
  linkDir: readonly string[],
  target: string,
  tree: ReadonlyMap<string, VirtualNode>,
  // shared by the whole lookup, as the kernel's limit is: links that each name two
  // others must not make the work grow exponentially
  hops: { n: number } = { n: 0 },
): readonly string[] | 'outside' | 'loop' {
  if (target.startsWith('/')) return 'outside';
  let at = [...linkDir];
  for (const part of target.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (at.length === 0) return 'outside';
      at.pop();
      continue;
    }
    at.push(part);
    const node = tree.get(at.join('/'));
    if (node?.type === 'symlink') {
      if (++hops.n > MAX_HOPS) return 'loop';
      const next = resolveInTree(at.slice(0, -1), node.target, tree, hops);
      if (typeof next === 'string') return next;
      at = [...next];
    }
  }
  return at;
}
