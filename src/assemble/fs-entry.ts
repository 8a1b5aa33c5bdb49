import { KilnError } from '../errors/index.ts';
import type { CompressedRun } from './layer/standalone-run.ts';

/**
 * One entry of a root filesystem, as the layer writer takes it. Paths are relative to
 * the root (`usr/bin/env`; a leading `/` or `./` is accepted and dropped). Only the
 * metadata given here reaches the layer: a host file contributes its bytes, never its
 * mode, owner, times or xattrs.
 */
export type FsEntry = FsDirectory | FsFile | FsSymlink | FsHardlink;

type Owned = {
  readonly path: string;
  /** Permission bits only (0o7777: rwx plus setuid, setgid, sticky); the type comes from `kind`. */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  /** Extended attributes (e.g. `security.capability`), written as PAX SCHILY.xattr records. */
  readonly xattrs?: Readonly<Record<string, Uint8Array>>;
};

export type FsDirectory = Owned & { readonly kind: 'directory' };
export type FsFile = Owned & { readonly kind: 'file'; readonly content: FileContent };
/** `target` is stored as written (relative or absolute); it is not resolved. */
export type FsSymlink = Owned & { readonly kind: 'symlink'; readonly target: string };
/**
 * Another name for the regular file at `target` (a path in the same layer). A hardlink
 * has no metadata of its own: it shares the file's inode, so mode and owner are the file's.
 */
export type FsHardlink = { readonly kind: 'hardlink'; readonly path: string; readonly target: string };

export type FileContent =
  /** Read from the host when the layer is written (streamed, never held whole). */
  | { readonly kind: 'host'; readonly path: string }
  | {
      readonly kind: 'bytes';
      readonly data: Uint8Array;
      /**
       * The content's standalone run when already made (the image builder prepares one
       * for each large file of a package while reading it: layer-cache/prepare-runs.ts); the
       * layer takes it when made at its own level and format, else compresses the
       * content itself, to the same bytes.
       */
      readonly compressed?: CompressedRun;
    };

/** An entry ready to be written: normalised path, in layer order, hardlinks after their file. */
export type LayerEntry =
  | (Owned & { readonly kind: 'directory' })
  | (Owned & { readonly kind: 'file'; readonly content: FileContent })
  | (Owned & { readonly kind: 'symlink'; readonly target: string })
  | (Owned & { readonly kind: 'hardlink'; readonly target: string });

const MAX_ID = 0xffff_ffff;

/**
 * Validates entries and puts them in the one order every build uses: by path, compared
 * component by component as UTF-8 bytes (so a directory's children follow it directly,
 * as with `tar --sort=name`). Missing parent directories are added (0755, root:root).
 * Within a group of hardlinks, the name that sorts first carries the content and every
 * other name links to it, whichever name the caller made the file.
 */
export function normalizeEntries(entries: readonly FsEntry[]): LayerEntry[] {
  const byPath = new Map<string, FsEntry>();
  for (const e of entries) {
    const path = normalizeEntryPath(e.path);
    if (byPath.has(path)) throw new KilnError('INPUT_INVALID', `layer entry ${JSON.stringify(path)} appears twice`);
    if (e.kind !== 'hardlink') checkOwned(e, path);
    if (e.kind === 'symlink' && (e.target === '' || e.target.includes('\0'))) {
      throw new KilnError('INPUT_INVALID', `layer entry ${JSON.stringify(path)}: symlink target ${JSON.stringify(e.target)} is empty or has a NUL byte`);
    }
    byPath.set(path, e);
  }

  const out = new Map<string, LayerEntry>();
  const links = new Map<string, string[]>(); // file path → names that link to it
  for (const [path, e] of byPath) {
    if (e.kind !== 'hardlink') {
      out.set(path, { ...e, path });
      continue;
    }
    const file = resolveHardlink(path, byPath);
    links.set(file, [...(links.get(file) ?? []), path]);
  }
  for (const [file, names] of links) {
    const f = out.get(file);
    if (f?.kind !== 'file') throw new Error(`unreachable: hardlink group ${file}`);
    const first = [file, ...names].sort(comparePaths)[0] ?? file;
    out.set(first, { ...f, path: first });
    for (const name of [file, ...names]) {
      if (name !== first) out.set(name, { kind: 'hardlink', path: name, target: first, mode: f.mode, uid: f.uid, gid: f.gid });
    }
  }

  for (const path of [...out.keys()]) {
    let slash = path.lastIndexOf('/');
    while (slash > 0) {
      const parent = path.slice(0, slash);
      const p = out.get(parent);
      if (p === undefined) out.set(parent, { kind: 'directory', path: parent, mode: 0o755, uid: 0, gid: 0 });
      else if (p.kind !== 'directory') {
        throw new KilnError('INPUT_INVALID', `layer entry ${JSON.stringify(path)} is inside ${JSON.stringify(parent)}, which is a ${p.kind}, not a directory`);
      }
      slash = parent.lastIndexOf('/');
    }
  }
  return [...out.values()]
    .map((e) => ({ e, key: sortKey(e.path) }))
    .sort((a, b) => Buffer.compare(a.key, b.key))
    .map(({ e }) => e);
}

/** `/usr//bin/./env` → `usr/bin/env`; refuses `..`, NUL bytes and the root itself. */
export function normalizeEntryPath(path: string): string {
  if (path.includes('\0')) throw new KilnError('PATH_UNSAFE', `layer entry ${JSON.stringify(path)} has a NUL byte`);
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw new KilnError('PATH_UNSAFE', `layer entry ${JSON.stringify(path)} has a ".." component`);
  if (parts.length === 0) throw new KilnError('PATH_UNSAFE', `layer entry ${JSON.stringify(path)} names the root directory, which a layer does not carry`);
  return parts.join('/');
}

// Components compare before anything else ("a/b" < "a-b"), by UTF-8 bytes, never by locale.
function sortKey(path: string): Buffer {
  return Buffer.from(path.replaceAll('/', '\0'), 'utf8');
}

export function comparePaths(a: string, b: string): number {
  return Buffer.compare(sortKey(a), sortKey(b));
}

function resolveHardlink(path: string, byPath: ReadonlyMap<string, FsEntry>): string {
  const seen = new Set<string>([path]);
  let current = byPath.get(path);
  while (current?.kind === 'hardlink') {
    const target = normalizeEntryPath(current.target);
    if (seen.has(target)) throw new KilnError('INPUT_INVALID', `hardlink ${JSON.stringify(path)} is part of a hardlink loop`);
    seen.add(target);
    const next = byPath.get(target);
    if (next === undefined) throw new KilnError('INPUT_INVALID', `hardlink ${JSON.stringify(path)} points to ${JSON.stringify(target)}, which is not in the layer`);
    if (next.kind === 'file') return target;
    if (next.kind !== 'hardlink') {
      throw new KilnError('INPUT_INVALID', `hardlink ${JSON.stringify(path)} points to ${JSON.stringify(target)}, a ${next.kind}; only regular files can be hardlinked`);
    }
    current = next;
  }
  throw new Error(`unreachable: ${path} is not a hardlink`);
}

function checkOwned(e: Owned & { readonly kind: string }, path: string): void {
  if (!Number.isInteger(e.mode) || e.mode < 0 || e.mode > 0o7777) {
    throw new KilnError('INPUT_INVALID', `layer entry ${JSON.stringify(path)}: mode ${e.mode} is not permission bits (0 to 0o7777)`);
  }
  for (const [name, id] of [['uid', e.uid], ['gid', e.gid]] as const) {
    if (!Number.isInteger(id) || id < 0 || id > MAX_ID) throw new KilnError('INPUT_INVALID', `layer entry ${JSON.stringify(path)}: ${name} ${id} is not 0 to ${MAX_ID}`);
  }
}
