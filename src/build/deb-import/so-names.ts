import type { ApkFile } from '../../apk/index.ts';
import { readElfInfo, sonameVersion } from '../scan/index.ts';

/** One shared library a package provides: `so:libc.so.6=6`. */
export type SoProvide = { readonly soname: string; readonly version: string; readonly path: string };

export type SoNames = {
  /** Libraries in a linker directory, sorted by soname. */
  readonly provides: readonly SoProvide[];
  /** Sonames some ELF file of the package needs and the package does not itself hold, sorted. */
  readonly needs: readonly string[];
};

/** Directories the dynamic linker searches by default on Debian: kiln's LIB_DIRS plus the multiarch ones. */
const LINKER_DIR = /^(?:usr\/)?lib(?:32|64|x32)?(?:\/[a-z0-9_]+-linux-[a-z0-9_]+)?$/;

/**
 * The `so:` facts of a Debian package, by the rules `kiln package build` applies to its
 * own packages (src/build/scan): each ELF library with a DT_SONAME directly in a linker
 * directory provides `so:<soname>=<version>` (`libc.so.6` → 6, `libfoo.so` → 0); the
 * program interpreter (`ld-linux-x86-64.so.2`) and every DT_NEEDED are needs, unless a
 * library of the package itself has that soname. Debian's multiarch directories
 * (`usr/lib/x86_64-linux-gnu`) count as linker directories, so a kiln-built program
 * that needs `so:libc.so.6` and `so:ld-linux-x86-64.so.2` resolves to an imported libc6.
 */
export function soNamesOf(files: readonly ApkFile[]): SoNames {
  const provides = new Map<string, SoProvide>();
  const own = new Set<string>();
  const needed = new Set<string>();
  for (const f of files) {
    if (f.kind !== 'file') continue;
    const elf = readElfInfo(f.content);
    if (elf === undefined) continue;
    for (const n of elf.needed) needed.add(n);
    if (elf.interpreter !== undefined) needed.add(elf.interpreter.split('/').pop() ?? '');
    const slash = f.path.lastIndexOf('/');
    const base = f.path.slice(slash + 1);
    // a program with a SONAME is not a library; libc and the loader are both, as their names tell
    const library = elf.interpreter === undefined || base.includes('.so.') || base.endsWith('.so');
    if (elf.soname === undefined || !library) continue;
    own.add(elf.soname);
    if (!LINKER_DIR.test(slash < 0 ? '' : f.path.slice(0, slash)) || !isConstraintName(elf.soname)) continue;
    const old = provides.get(elf.soname);
    // two files with one soname (a compat copy): keep the one that sorts first, for determinism
    if (old === undefined || old.path > f.path) provides.set(elf.soname, { soname: elf.soname, version: sonameVersion(elf.soname), path: f.path });
  }
  return {
    provides: [...provides.values()].sort((a, b) => (a.soname < b.soname ? -1 : a.soname > b.soname ? 1 : 0)),
    needs: [...needed].filter((n) => !own.has(n) && isConstraintName(n)).sort(),
  };
}

/** Printable, without the characters that separate an APK constraint's parts. */
function isConstraintName(name: string): boolean {
  return /^[\x21-\x7e]+$/.test(name) && !/[<>=~!@]/.test(name);
}
