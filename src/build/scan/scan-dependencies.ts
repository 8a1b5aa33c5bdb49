import type { ApkFile } from '../../apk/index.ts';
import { readElfInfo } from './elf-info.ts';
import { shebangCommand } from './shebang.ts';

/** Directories whose shared objects a package provides as `so:` names (melange's LibDirs). */
export const LIB_DIRS: readonly string[] = ['lib', 'usr/lib', 'lib64', 'usr/lib64'];
/** Directories whose executables a package provides as `cmd:` names (melange's BinDirs). */
export const BIN_DIRS: readonly string[] = ['bin', 'sbin', 'usr/bin', 'usr/sbin'];
/** Where a script's `#!` interpreter becomes a `cmd:` dependency. */
const SHEBANG_DIRS: readonly string[] = ['usr/bin/', 'usr/local/bin/', 'usr/local/sbin/'];
const PKGCONFIG_DIRS: readonly string[] = ['usr/local/lib/pkgconfig', 'usr/local/share/pkgconfig', 'usr/lib/pkgconfig', 'usr/lib64/pkgconfig', 'usr/share/pkgconfig'];

export type ScanOptions = {
  readonly noProvides: boolean;
  readonly noDepends: boolean;
  readonly noCommands: boolean;
};

/** One package of a build, as the scanner sees it. */
export type ScannedPackage = {
  readonly name: string;
  /** `VERSION-rEPOCH`. */
  readonly fullVersion: string;
  readonly files: readonly ApkFile[];
  readonly options: ScanOptions;
};

/** What scanning found, before it is merged with what the recipe declares. */
export type GeneratedDependencies = {
  /** Sorted, without duplicates: `so:libc.so.6`, `cmd:bash`, `pc:zlib`, …. */
  readonly runtime: readonly string[];
  /** Sorted: `so:libfoo.so.1=1`, `cmd:foo=1.2-r0`, `pc:foo=1.2-r0`. */
  readonly provides: readonly string[];
  /** Shared objects found outside the library directories: they satisfy the package's own needs only. */
  readonly vendored: readonly string[];
};

/**
 * melange's SCA for one package of a build (`relatives` are all packages of the
 * same build, the package itself included, for symlinks that lead across them):
 *
 * - ELF objects: the PT_INTERP loader and every DT_NEEDED with `.so.` in its name are
 *   `so:` dependencies; a DT_SONAME of an object in a library directory (plus those
 *   listed in the build's etc/ld.so.conf.d) is a `so:NAME=VER` provide, VER being what
 *   follows `.so.` when it is all digits and dots, else 0; elsewhere it is vendored.
 * - a symlink whose name contains `.so` (libfoo.so → libfoo.so.1, typically in a -dev
 *   package) depends on the SONAME of the library it leads to, in any package of the build;
 * - regular files with r-x for everyone in a bin directory provide `cmd:NAME=VERSION`;
 *   scripts in usr/bin depend on `cmd:` of their `#!` interpreter;
 * - pkg-config files provide `pc:NAME=VERSION` and depend on what they require;
 * - a `-doc` package with man pages depends on man-db (texinfo for info pages).
 *
 * `no-commands` drops `cmd:` names, `no-depends` every dependency, `no-provides` every
 * provide, as in melange.
 */
export function scanDependencies(pkg: ScannedPackage, relatives: readonly ScannedPackage[]): GeneratedDependencies {
  const runtime = new Set<string>();
  const provides = new Set<string>();
  const vendored = new Set<string>();
  const libDirs = [...LIB_DIRS, ...extraLibDirs(relatives)];
  const contents = contentByPath(pkg.files);

  for (const f of pkg.files) {
    const base = f.path.split('/').pop() ?? '';
    const dir = dirOf(f.path);
    if (f.kind === 'symlink') {
      if (base.includes('.so')) {
        const soname = sonameBehindLink(f.target, relatives, libDirs);
        if (soname !== undefined) runtime.add(`so:${soname}`);
      }
      continue;
    }
    if (f.kind !== 'file' && f.kind !== 'hardlink') continue;
    const content = contents.get(f.kind === 'file' ? f.path : f.target);
    if (content === undefined) continue;

    const elf = readElfInfo(content);
    if (elf) {
      if (elf.interpreter !== undefined) {
        // musl's loader is a link to libc itself; melange depends on the libc name
        runtime.add(`so:${(elf.interpreter.split('/').pop() ?? '').replace(/^ld-musl/, 'libc.musl')}`);
      }
      for (const lib of elf.needed) if (lib.includes('.so.')) runtime.add(`so:${lib}`);
      // a program with a SONAME (some jlink output) is not a library; libc and libcap are
      // both, which their names tell
      const library = elf.interpreter === undefined || base.includes('.so.') || base.endsWith('.so');
      if (library && elf.soname !== undefined) {
        const entry = `so:${elf.soname}=${sonameVersion(elf.soname)}`;
        (libDirs.includes(dir) ? provides : vendored).add(entry);
      }
    } else if (SHEBANG_DIRS.some((d) => f.path.startsWith(d))) {
      const cmd = shebangCommand(content);
      if (cmd !== undefined) runtime.add(`cmd:${cmd}`);
    }
    if ((f.mode & 0o555) === 0o555 && BIN_DIRS.includes(dir)) provides.add(`cmd:${base}=${pkg.fullVersion}`);
    if (base.endsWith('.pc') && f.kind === 'file') {
      if (PKGCONFIG_DIRS.includes(dir)) {
        provides.add(`pc:${base.slice(0, -3)}=${pkg.fullVersion}`);
        for (const req of pkgConfigRequires(content)) runtime.add(`pc:${req}`);
      } else vendored.add(`pc:${base.slice(0, -3)}=${pkg.fullVersion}`);
    }
  }
  if (pkg.name.endsWith('-doc')) {
    if (pkg.files.some((f) => f.path.startsWith('usr/share/man/') && f.kind !== 'directory')) runtime.add('man-db');
    if (pkg.files.some((f) => f.path.startsWith('usr/share/info/') && f.kind !== 'directory')) runtime.add('texinfo');
  }

  const drop = (set: Set<string>, prefix: string): void => {
    for (const v of set) if (v.startsWith(prefix)) set.delete(v);
  };
  if (pkg.options.noCommands) {
    drop(runtime, 'cmd:');
    drop(provides, 'cmd:');
  }
  return {
    runtime: pkg.options.noDepends ? [] : sorted(runtime),
    provides: pkg.options.noProvides ? [] : sorted(provides),
    vendored: sorted(vendored),
  };
}

/**
 * Merges what the recipe declares with what scanning found, as melange does: generated
 * dependencies satisfied by the package's own vendored objects are dropped, then every
 * dependency the package provides itself (by name, ignoring versions) is dropped.
 */
export function mergeDependencies(
  declared: { readonly runtime: readonly string[]; readonly provides: readonly string[] },
  generated: GeneratedDependencies,
): { readonly runtime: readonly string[]; readonly provides: readonly string[] } {
  const provides = sorted(new Set([...declared.provides, ...generated.provides]));
  const runtime = sorted(new Set([...declared.runtime, ...withoutProvided(generated.runtime, generated.vendored)]));
  return { runtime: withoutProvided(runtime, provides), provides };
}

function withoutProvided(runtime: readonly string[], provided: readonly string[]): string[] {
  const names = new Set(provided.map((p) => p.split('=')[0]));
  return runtime.filter((d) => !names.has(d));
}

/** `libfoo.so.1.2` → `1.2`; `libfoo.so`, `libfoo-1.so.x` → `0` (melange's sonameLibver). */
export function sonameVersion(soname: string): string {
  const at = soname.indexOf('.so.');
  if (at < 0) return '0';
  const v = soname.slice(at + 4).split('.so.')[0] ?? '';
  return /^[0-9.]+$/.test(v) ? v : '0';
}

/** The SONAME of the library a `.so` symlink leads to, looked up by file name in the build's library directories. */
function sonameBehindLink(target: string, relatives: readonly ScannedPackage[], libDirs: readonly string[]): string | undefined {
  const name = target.split('/').pop() ?? '';
  if (name === '') return undefined;
  for (const rel of relatives) {
    const contents = contentByPath(rel.files);
    for (const dir of libDirs) {
      const content = contents.get(`${dir}/${name}`);
      if (content === undefined) continue;
      return readElfInfo(content)?.soname;
    }
  }
  return undefined;
}

/** Absolute directories listed in the build's etc/ld.so.conf.d/*.conf, relative to the root. */
function extraLibDirs(relatives: readonly ScannedPackage[]): string[] {
  const out: string[] = [];
  for (const rel of relatives) {
    for (const f of rel.files) {
      if (f.kind !== 'file' || !f.path.startsWith('etc/ld.so.conf.d/') || !f.path.endsWith('.conf')) continue;
      for (const line of Buffer.from(f.content).toString('utf8').split('\n')) {
        const t = line.trim();
        if (t.startsWith('/') && t.length > 1) out.push(t.slice(1).replace(/\/+$/, ''));
      }
    }
  }
  return out;
}

/** Module names of a .pc file's Requires, Requires.private (and Requires.internal) lines, without versions. */
function pkgConfigRequires(content: Uint8Array): string[] {
  const out: string[] = [];
  for (const raw of Buffer.from(content).toString('utf8').split('\n')) {
    const m = /^Requires(?:\.private|\.internal)?\s*:(.*)$/.exec(raw.trim());
    if (!m) continue;
    // "a >= 1.0, b c<2" → a, b, c: drop operators and the version after each
    const words = (m[1] ?? '').replace(/,/g, ' ').split(/\s+/).filter((w) => w !== '');
    for (let i = 0; i < words.length; i++) {
      const w = words[i] ?? '';
      if (/^(<=|>=|=|<|>|!=)$/.test(w)) {
        i++;
        continue;
      }
      const name = w.split(/[<>=!]/)[0] ?? '';
      if (name !== '' && !name.includes('$')) out.push(name);
    }
  }
  return out;
}

function contentByPath(files: readonly ApkFile[]): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  for (const f of files) if (f.kind === 'file') out.set(f.path, f.content);
  return out;
}

function dirOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '' : path.slice(0, i);
}

function sorted(values: Iterable<string>): string[] {
  return [...new Set(values)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
