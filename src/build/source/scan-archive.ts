import type { Header } from 'tar-stream';
import { type VirtualNode, entryParts, resolveInTree, unsafe } from './archive-paths.ts';
import { type ArchiveFormat } from './decompress.ts';
import { forEachTarEntry } from './tar-entries.ts';

export type ArchiveLimits = {
  /** total bytes of file content after decompression (default 16 GiB): a bomb stops here */
  readonly maxBytes?: number;
  /** number of entries (default 1,000,000) */
  readonly maxEntries?: number;
};

export type ArchiveScan = {
  readonly entries: number;
  readonly bytes: number;
};

const DEFAULT_LIMITS = { maxBytes: 16 * 1024 ** 3, maxEntries: 1_000_000 };

/**
 * The first of extraction's two passes: reads every header without writing anything
 * and refuses the whole archive if any entry would escape the extraction directory:
 * an absolute name or `..`; a symlink whose target resolves outside, following the
 * archive's own symlinks (so `a -> .` then `b -> a/..` is caught); a hard link to a
 * path the archive has not produced as a regular file; any entry whose path goes
 * through a symlink created earlier in the archive; a device node or FIFO. It also
 * enforces the size and entry-count limits before a byte is written.
 */
export async function scanArchive(archive: string, format: ArchiveFormat, strip: number, limits: ArchiveLimits = {}): Promise<ArchiveScan> {
  const { maxBytes, maxEntries } = { ...DEFAULT_LIMITS, ...limits };
  const tree = new Map<string, VirtualNode>();
  let entries = 0;
  let bytes = 0;
  await forEachTarEntry(archive, format, async (h: Header) => {
    entries++;
    if (entries > maxEntries) throw unsafe(archive, h.name, `is past the limit of ${maxEntries} entries`);
    const parts = entryParts(h.name, strip, archive);
    if (h.type === 'link') checkHardLink(archive, h, strip, tree);
    if (parts === undefined) return;
    checkParents(archive, h.name, parts, tree);
    const key = parts.join('/');
    const before = tree.get(key)?.type;
    if (before === 'directory' && h.type !== 'directory') throw unsafe(archive, h.name, 'replaces a directory the archive made');
    if (before === 'symlink' && h.type === 'directory') throw unsafe(archive, h.name, 'is a directory over a symlink the archive made');
    switch (h.type) {
      case 'file':
      case 'contiguous-file':
      case 'link':
        bytes += h.size ?? 0;
        if (bytes > maxBytes) throw unsafe(archive, h.name, `takes the content past the limit of ${maxBytes} bytes`);
        tree.set(key, { type: 'file' });
        return;
      case 'directory':
        tree.set(key, { type: 'directory' });
        return;
      case 'symlink': {
        const target = h.linkname ?? '';
        if (target === '' || target.includes('\0')) throw unsafe(archive, h.name, 'is a symlink with an empty or NUL-bearing target');
        // record first: a link that resolves through itself is a loop
        tree.set(key, { type: 'symlink', target });
        const resolved = resolveInTree(parts.slice(0, -1), target, tree);
        if (resolved === 'outside') throw unsafe(archive, h.name, `is a symlink to ${JSON.stringify(target)}, which points outside the extraction directory`);
        if (resolved === 'loop') throw unsafe(archive, h.name, `is a symlink to ${JSON.stringify(target)} that loops`);
        return;
      }
      default:
        throw unsafe(archive, h.name, `is a ${h.type ?? 'unknown'} entry; only files, directories and links are extracted`);
    }
  });
  return { entries, bytes };
}

/** Refuses an entry whose path passes through a symlink the archive already made. */
function checkParents(archive: string, name: string, parts: readonly string[], tree: ReadonlyMap<string, VirtualNode>): void {
  for (let i = 1; i < parts.length; i++) {
    const node = tree.get(parts.slice(0, i).join('/'));
    if (node?.type === 'symlink') throw unsafe(archive, name, `goes through the symlink ${parts.slice(0, i).join('/')}`);
    if (node?.type === 'file') throw unsafe(archive, name, `goes through the file ${parts.slice(0, i).join('/')}`);
  }
}

function checkHardLink(archive: string, h: Header, strip: number, tree: ReadonlyMap<string, VirtualNode>): void {
  const target = h.linkname ?? '';
  const parts = target === '' ? undefined : entryParts(target, strip, archive);
  if (parts === undefined || tree.get(parts.join('/'))?.type !== 'file') {
    throw unsafe(archive, h.name, `is a hard link to ${JSON.stringify(target)}, which is not a file extracted before it`);
  }
  checkParents(archive, h.name, parts, tree);
}
