import { encodeApkIndexText, type ApkIndexEntry } from '../../apk/index.ts';
import { comparePaths } from '../fs-entry.ts';

/** One path a package installed, as `lib/apk/db/installed` records it. */
export type InstalledPath =
  | { readonly kind: 'directory'; readonly path: string; readonly mode: number; readonly uid: number; readonly gid: number }
  /** Regular files, symlinks (mode 0777, checksum of the target text) and hard links (checksum of the content). */
  | { readonly kind: 'file'; readonly path: string; readonly mode: number; readonly uid: number; readonly gid: number; readonly sha1: Uint8Array };

/** A package as installed: its index record and the paths it owns in the image. */
export type InstalledPackage = { readonly entry: ApkIndexEntry; readonly paths: readonly InstalledPath[] };

// apk-tools' default ACLs: a directory 0755 root:root, a file 0644 root:root. Only
// entries that differ get an M: (directory) or a: (file) line.
const DEFAULT_DIR_MODE = 0o755;
const DEFAULT_FILE_MODE = 0o644;

function acl(p: InstalledPath): string {
  return `${p.uid}:${p.gid}:${(p.mode & 0o7777).toString(8)}`;
}

function parentOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '' : path.slice(0, slash);
}

/**
 * The record of one package in apk-tools' installed database: the index fields in the
 * order apk writes them (C P V A S I T U L o m t c k D p i r), then per directory an
 * `F:` line (and `M:uid:gid:mode` when not 0755 root:root) followed by the files
 * directly inside it, each `R:name`, `a:uid:gid:mode` when not 0644 root:root, and
 * `Z:Q1…` (base64 SHA-1). Directories come in path order with every directory's own
 * files before its subdirectories, as apk-tools and apko write it, so a reader that
 * joins `R:` to the last `F:` finds each file.
 */
export function encodeInstalledRecord(pkg: InstalledPackage): string {
  // the index record (which ends with a blank line) without its blank line
  const lines: string[] = [encodeApkIndexText([pkg.entry]).replace(/\n+$/, '')];
  const dirs = pkg.paths.filter((p) => p.kind === 'directory').sort((a, b) => comparePaths(a.path, b.path));
  const filesIn = new Map<string, InstalledPath[]>();
  for (const p of pkg.paths) {
    if (p.kind !== 'file') continue;
    const parent = parentOf(p.path);
    const list = filesIn.get(parent);
    if (list === undefined) filesIn.set(parent, [p]);
    else list.push(p);
  }
  const putFiles = (dir: string): void => {
    const files = (filesIn.get(dir) ?? []).sort((a, b) => comparePaths(a.path, b.path));
    for (const f of files) {
      lines.push(`R:${f.path.slice(dir === '' ? 0 : dir.length + 1)}`);
      if (f.mode !== DEFAULT_FILE_MODE || f.uid !== 0 || f.gid !== 0) lines.push(`a:${acl(f)}`);
      if (f.kind === 'file') lines.push(`Z:Q1${Buffer.from(f.sha1).toString('base64')}`);
    }
    filesIn.delete(dir);
  };
  putFiles(''); // files at the root, which no F: line names
  for (const d of dirs) {
    lines.push(`F:${d.path}`);
    if (d.mode !== DEFAULT_DIR_MODE || d.uid !== 0 || d.gid !== 0) lines.push(`M:${acl(d)}`);
    putFiles(d.path);
  }
  // a file whose directory the package does not list (never from a valid package, whose
  // data tar must hold every parent): name the directory so no file is attributed wrongly
  for (const dir of [...filesIn.keys()].sort(comparePaths)) {
    lines.push(`F:${dir}`);
    putFiles(dir);
  }
  return `${lines.join('\n')}\n\n`;
}

/** The whole `lib/apk/db/installed`: records in the order given (the install order). */
export function encodeInstalledDb(packages: readonly InstalledPackage[]): string {
  return packages.map(encodeInstalledRecord).join('');
}
