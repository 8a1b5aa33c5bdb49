import { chmod, lstat, mkdir, readdir, readFile, symlink, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { extractApkFiles } from '../../apk/index.ts';
import { KilnError } from '../../errors/index.ts';
import { resolveParentInRoot } from '../../files/index.ts';
import type { OverwrittenPath } from './environment-provider.ts';
import type { KilnPackageSet } from './kiln-packages.ts';

/**
 * What a root with no Debian base needs besides its packages: mount points for the
 * sandbox's /proc, /dev, /tmp and /home (the root is mounted read-only, so bwrap cannot
 * create them), and root's and /tmp's usual modes.
 */
const SKELETON: readonly (readonly [string, number])[] = [
  ['dev', 0o755], ['etc', 0o755], ['home', 0o755], ['proc', 0o555], ['root', 0o700],
  ['sys', 0o555], ['tmp', 0o1777], ['var', 0o755], ['var/tmp', 0o1777],
];

/** Accounts a root without a base gets when no package brings them, so the sandbox can name its build user. */
const PASSWD = 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n';
const GROUP = 'root:x:0:\nnogroup:x:65534:\n';

/**
 * The applets linked to busybox when an environment has busybox but no /bin/sh (Debian's
 * busybox-static imported as an APK ships the binary alone): what Wolfi's busybox trigger
 * (`busybox --install -s`) would make for the commands build scripts use.
 */
const BUSYBOX_APPLETS = [
  '[', '[[', 'ash', 'awk', 'basename', 'cat', 'chmod', 'chown', 'cmp', 'cp', 'cut', 'date', 'diff', 'dirname', 'du',
  'echo', 'env', 'expr', 'false', 'find', 'grep', 'gunzip', 'gzip', 'head', 'id', 'install', 'ln', 'ls', 'mkdir',
  'mktemp', 'mv', 'od', 'patch', 'printf', 'pwd', 'readlink', 'realpath', 'rm', 'rmdir', 'sed', 'sh', 'sha256sum',
  'sleep', 'sort', 'stat', 'tail', 'tar', 'tee', 'test', 'touch', 'tr', 'true', 'uname', 'uniq', 'unxz', 'wc', 'xargs',
  'xz', 'zcat',
];

export type InstallKilnOptions = {
  /** Whether `root` already holds a base environment (else the skeleton is made first). */
  readonly onBase: boolean;
  readonly log: (line: string) => void;
};

/**
 * Extracts kiln's packages into `root`, in install order, each with only the files it
 * owns (see prepareKilnPackages). A file of the base environment at the same place (after
 * following the base's symlinks, such as merged-/usr `bin -> usr/bin`) is removed first and
 * reported, never written through: the base may be a hard-linked copy of a cached
 * environment. A base directory where a package puts a file, or two kiln packages meeting at
 * one place through the base's symlinks, is FILE_CONFLICT. Returns what was replaced.
 */
export async function installKilnPackages(root: string, set: KilnPackageSet, opts: InstallKilnOptions): Promise<OverwrittenPath[]> {
  if (!opts.onBase) {
    await mkdir(root, { recursive: true, mode: 0o755 });
    for (const [dir, mode] of SKELETON) {
      await mkdir(join(root, dir), { recursive: true });
      await chmod(join(root, dir), mode);
    }
  }
  const chown = process.getuid?.() === 0;
  const overwritten: OverwrittenPath[] = [];
  const written = new Map<string, string>(); // resolved path → kiln package
  for (const { entry, apk } of set.packages) {
    const owned = set.owned.get(entry.name) ?? new Set<string>();
    for (const f of apk.files) {
      if (f.kind !== 'directory') {
        if (!owned.has(f.path)) continue;
        const at = await resolveInRoot(root, f.path);
        if (at !== undefined) {
          const other = written.get(at);
          if (other !== undefined) {
            throw new KilnError('FILE_CONFLICT', `/${at}: kiln packages ${other} and ${entry.name}-${entry.version} both put a file there (${f.path}, through the environment's symlinks)`);
          }
          const st = await lstat(join(root, at)).catch(() => undefined);
          if (st?.isDirectory()) {
            throw new KilnError('FILE_CONFLICT', `/${at}: kiln package ${entry.name}-${entry.version} brings a ${f.kind} (${f.path}) but the base environment has a directory there`);
          }
          if (st !== undefined) {
            await unlink(join(root, at));
            overwritten.push({ path: at, by: entry.name });
          }
          written.set(at, `${entry.name}-${entry.version}`);
        }
      }
      await extractApkFiles([f], root, { chown });
    }
    opts.log(`kiln package ${entry.name}-${entry.version}: ${owned.size} file(s)`);
  }
  await linkBusyboxApplets(root, opts.log);
  if (!opts.onBase) {
    for (const [file, text] of [['etc/passwd', PASSWD], ['etc/group', GROUP]] as const) {
      if ((await lstat(join(root, file)).catch(() => undefined)) === undefined) await writeFile(join(root, file), text, { mode: 0o644 });
    }
  }
  if (overwritten.length > 0) {
    const owners = await dpkgOwners(root);
    for (const [i, o] of overwritten.entries()) {
      const was = ownerOf(owners, o.path);
      if (was !== undefined) overwritten[i] = { ...o, was };
    }
    opts.log(`kiln packages replaced ${overwritten.length} file(s) of the base: ${overwritten.slice(0, 5).map((o) => `/${o.path} (${o.was ?? 'unowned'} → ${o.by})`).join(', ')}${overwritten.length > 5 ? ', …' : ''}`);
  }
  return overwritten.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/**
 * Where a package path lands in `root`, relative to it: symlinks on the way are followed
 * inside the root (absolute targets start at the root), as extractApkFiles does. Undefined
 * when a parent does not exist yet (then nothing is there to replace either).
 */
export async function resolveInRoot(root: string, path: string): Promise<string | undefined> {
  const name = path.split('/').filter((p) => p !== '' && p !== '.').pop();
  if (name === undefined) return undefined;
  const parent = await resolveParentInRoot(root, path);
  return parent.kind === 'directory' ? [...parent.parts, name].join('/') : undefined;
}

/** Busybox's usual applet links beside the binary, when the root has busybox but no /bin/sh. */
async function linkBusyboxApplets(root: string, log: (line: string) => void): Promise<void> {
  const sh = await resolveInRoot(root, 'bin/sh');
  if (sh !== undefined && (await lstat(join(root, sh)).catch(() => undefined)) !== undefined) return;
  for (const candidate of ['bin/busybox', 'usr/bin/busybox']) {
    const at = await resolveInRoot(root, candidate);
    if (at === undefined || !(await lstat(join(root, at)).catch(() => undefined))?.isFile()) continue;
    const dir = at.split('/').slice(0, -1).join('/');
    const added: string[] = [];
    for (const applet of BUSYBOX_APPLETS) {
      const link = join(root, dir, applet);
      if ((await lstat(link).catch(() => undefined)) !== undefined) continue;
      await symlink('busybox', link);
      added.push(applet);
    }
    // /bin/sh is where the sandbox looks, whichever bin directory busybox is in
    if (dir !== 'bin' && (await resolveInRoot(root, 'bin/sh')) === undefined) {
      await mkdir(join(root, 'bin'), { recursive: true, mode: 0o755 });
      await symlink(`/${dir}/busybox`, join(root, 'bin/sh'));
    }
    log(`/${at}: no /bin/sh in the environment; linked ${added.length} busybox applet(s) beside it`);
    return;
  }
}

/** Path (without the leading /) → the Debian package whose file list names it. */
async function dpkgOwners(root: string): Promise<Map<string, string>> {
  const dir = join(root, 'var/lib/dpkg/info');
  const owners = new Map<string, string>();
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const file of names.filter((n) => n.endsWith('.list')).sort()) {
    const pkg = file.slice(0, -'.list'.length).split(':')[0] ?? file;
    for (const line of (await readFile(join(dir, file), 'utf8')).split('\n')) {
      if (line.startsWith('/') && line.length > 1) owners.set(line.slice(1), pkg);
    }
  }
  return owners;
}

/** The owner of `path`, also under its merged-/usr alias (dpkg lists `/bin/x` for what is at `usr/bin/x`). */
function ownerOf(owners: ReadonlyMap<string, string>, path: string): string | undefined {
  const direct = owners.get(path);
  if (direct !== undefined) return direct;
  const m = /^usr\/((?:s?bin|lib[^/]*)\/.*)$/.exec(path);
  return m?.[1] !== undefined ? owners.get(m[1]) : undefined;
}
