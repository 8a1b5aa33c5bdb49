import { closeSync, fchmodSync, futimesSync, lstatSync, mkdirSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { chmod, link, lstat, lutimes, realpath, symlink, utimes } from 'node:fs/promises';
import { join, sep } from 'node:path';
import type { Header } from 'tar-stream';
import { entryParts, unsafe } from './archive-paths.ts';
import { type ArchiveFormat, detectArchiveFormat } from './decompress.ts';
import { type ArchiveLimits, scanArchive } from './scan-archive.ts';
import { forEachTarEntry } from './tar-entries.ts';

export type ExtractOptions = ArchiveLimits & {
  /** leading path components to drop, as `tar --strip-components` (default 0) */
  readonly stripComponents?: number;
};

export type ExtractResult = {
  readonly format: ArchiveFormat;
  readonly entries: number;
  readonly bytes: number;
};

/**
 * Extracts an untrusted tar archive (plain, gz, xz, bz2 or zst; detected from its
 * bytes) into `dest`, which must exist. This runs outside the sandbox, so it is done
 * in process rather than by GNU tar, whose defences against hostile archives depend
 * on its version and flags and whose listing is awkward to parse safely:
 *
 * 1. `scanArchive` reads every header first and refuses the archive, before anything
 *    is written, if an entry could land or point outside `dest` (see there).
 * 2. The write pass creates each entry with O_EXCL after unlinking what was there, and
 *    walks parent directories with lstat, refusing to pass through any symlink, so a
 *    path never follows a link, whether from the archive or from an earlier step.
 * 3. Afterwards every symlink it made is resolved with realpath and must stay inside.
 *
 * Owners are not kept (files belong to the caller, as `--no-same-owner`); modes keep
 * only the permission bits minus group/other write, plus owner read/write so later
 * steps can patch and clean up (as `--no-same-permissions` with umask 022); setuid,
 * setgid and sticky bits are dropped. Modification times are kept: autotools decide
 * from them whether `configure` must be regenerated.
 */
export async function extractArchive(archive: string, dest: string, options: ExtractOptions = {}): Promise<ExtractResult> {
  const strip = options.stripComponents ?? 0;
  const format = await detectArchiveFormat(archive);
  const scan = await scanArchive(archive, format, strip, options);
  const root = await realpath(dest);
  const knownDirs = new Set<string>(['']);
  const directories: { path: string; mode: number; mtime: Date | undefined }[] = [];
  const symlinks: { path: string; name: string; target: string }[] = [];

  const ensureDir = (parts: readonly string[], name: string): void => {
    for (let i = 1; i <= parts.length; i++) {
      const key = parts.slice(0, i).join('/');
      if (knownDirs.has(key)) continue;
      const at = join(root, ...parts.slice(0, i));
      const st = lstatSync(at, { throwIfNoEntry: false });
      if (st === undefined) mkdirSync(at, { mode: 0o755 });
      else if (st.isSymbolicLink()) throw unsafe(archive, name, `would be written through the symlink ${at}`);
      else if (!st.isDirectory()) throw unsafe(archive, name, `would be written below the non-directory ${at}`);
      knownDirs.add(key);
    }
  };

  /** Makes room for a new non-directory entry: removes a previous file or link there. */
  const clear = (at: string, name: string): void => {
    const st = lstatSync(at, { throwIfNoEntry: false });
    if (st === undefined) return;
    if (st.isDirectory()) throw unsafe(archive, name, `would replace the directory ${at}`);
    unlinkSync(at);
  };

  await forEachTarEntry(archive, format, async (h: Header, body: AsyncIterable<Buffer>) => {
    const parts = entryParts(h.name, strip, archive);
    if (parts === undefined) return;
    const at = join(root, ...parts);
    switch (h.type) {
      case 'directory':
        ensureDir(parts, h.name);
        directories.push({ path: at, mode: dirMode(h.mode), mtime: h.mtime });
        return;
      case 'file':
      case 'contiguous-file':
        ensureDir(parts.slice(0, -1), h.name);
        clear(at, h.name);
        await writeEntry(at, body, h, archive);
        return;
      case 'symlink':
        ensureDir(parts.slice(0, -1), h.name);
        clear(at, h.name);
        await symlink(h.linkname ?? '', at);
        if (h.mtime) await lutimes(at, h.mtime, h.mtime);
        symlinks.push({ path: at, name: h.name, target: h.linkname ?? '' });
        return;
      case 'link': {
        const from = entryParts(h.linkname ?? '', strip, archive);
        if (from === undefined) throw unsafe(archive, h.name, 'is a hard link to nothing');
        ensureDir(from.slice(0, -1), h.name);
        const source = join(root, ...from);
        if (!(await lstat(source)).isFile()) throw unsafe(archive, h.name, `is a hard link to ${source}, not a regular file`);
        ensureDir(parts.slice(0, -1), h.name);
        clear(at, h.name);
        await link(source, at);
        return;
      }
      default:
        throw unsafe(archive, h.name, `is a ${h.type ?? 'unknown'} entry`);
    }
  });

  // deepest first, so setting a parent's time is not undone by touching a child
  directories.sort((a, b) => b.path.length - a.path.length);
  for (const d of directories) {
    await chmod(d.path, d.mode);
    if (d.mtime) await utimes(d.path, d.mtime, d.mtime);
  }
  for (const s of symlinks) {
    const real = await realpath(s.path).catch(() => undefined);
    if (real !== undefined && real !== root && !real.startsWith(root + sep)) {
      throw unsafe(archive, s.name, `is a symlink to ${JSON.stringify(s.target)}, which resolves to ${real}, outside ${root}`);
    }
  }
  return { format, entries: scan.entries, bytes: scan.bytes };
}

function fileMode(mode: number | undefined): number {
  return ((mode ?? 0o644) & 0o755) | 0o600;
}

function dirMode(mode: number | undefined): number {
  return ((mode ?? 0o755) & 0o755) | 0o700;
}

/**
 * Writes one file entry: O_CREAT|O_EXCL (never through a link; the caller unlinked
 * what was there), exactly the size the header announced, then mode and time on the
 * open descriptor. Synchronous calls on purpose: a source tree is thousands of small
 * files, and a thread-pool round trip per call made extraction several times slower
 * than GNU tar; the event loop still gets a turn between chunks and entries.
 */
async function writeEntry(at: string, body: AsyncIterable<Buffer>, h: Header, archive: string): Promise<void> {
  const fd = openSync(at, 'wx', 0o600);
  try {
    let left = h.size ?? 0;
    for await (const chunk of body) {
      left -= chunk.length;
      if (left < 0) throw unsafe(archive, h.name, 'has more content than its header says');
      for (let off = 0; off < chunk.length; ) off += writeSync(fd, chunk, off);
    }
    if (left !== 0) throw unsafe(archive, h.name, 'is truncated');
    fchmodSync(fd, fileMode(h.mode));
    if (h.mtime) futimesSync(fd, h.mtime, h.mtime);
  } finally {
    closeSync(fd);
  }
}
