import { KilnError } from '../errors/index.ts';

type Owner = {
  readonly uid: number;
  readonly gid: number;
  /** Names apk maps through the target's /etc/passwd and /etc/group; default root for id 0. */
  readonly uname?: string;
  readonly gname?: string;
};

/** One entry of a package's data part. Paths are relative (`usr/bin/hello`), without `.` or `..`. */
export type ApkFile =
  | ({ readonly kind: 'file'; readonly path: string; readonly mode: number; readonly content: Uint8Array } & Owner)
  | ({ readonly kind: 'directory'; readonly path: string; readonly mode: number } & Owner)
  | ({ readonly kind: 'symlink'; readonly path: string; readonly target: string } & Owner)
  /** A hard link to a regular file earlier in the package (`target` is a package path). */
  | ({ readonly kind: 'hardlink'; readonly path: string; readonly target: string; readonly mode: number } & Owner);

/** Control scripts apk runs around installation; `trigger` runs when a `triggers` directory changes. */
export type ApkScriptName = 'pre-install' | 'post-install' | 'pre-upgrade' | 'post-upgrade' | 'pre-deinstall' | 'post-deinstall' | 'trigger';
export type ApkScripts = Readonly<Partial<Record<ApkScriptName, string>>>;
export const SCRIPT_NAMES: readonly ApkScriptName[] = ['post-deinstall', 'post-install', 'post-upgrade', 'pre-deinstall', 'pre-install', 'pre-upgrade', 'trigger'];

const MAX_PATH = 4000;

/**
 * Refuses a package path that could land outside the root it is extracted into:
 * absolute, `..` or `.` components, empty components, NUL bytes, or too long.
 */
export function assertEntryPath(path: string, where: string): void {
  const why =
    path === ''
      ? 'is empty'
      : path.includes('\0')
        ? 'contains a NUL byte'
        : path.startsWith('/')
          ? 'is absolute; expected a path relative to the root such as usr/bin/hello'
          : path.length > MAX_PATH
            ? `is longer than ${MAX_PATH} characters`
            : path.split('/').some((c) => c === '..')
              ? 'has a ".." component that leads outside the root'
              : path.split('/').some((c) => c === '' || c === '.')
                ? 'has an empty or "." component'
                : undefined;
  if (why !== undefined) throw new KilnError('PATH_UNSAFE', `${where}: path ${JSON.stringify(path)} ${why}`);
}

/** Byte order of the UTF-8 paths, so the order never depends on locale or UTF-16 quirks. */
export function comparePaths(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

export function parentDirectories(path: string): string[] {
  const parts = path.split('/');
  const out: string[] = [];
  for (let i = 1; i < parts.length; i++) out.push(parts.slice(0, i).join('/'));
  return out;
}

/**
 * Whether a relative symlink at `path` pointing to `target` climbs above the root
 * (`usr/lib/x -> ../../../etc`). Absolute targets stay inside: in an image root,
 * `/bin/busybox` means `<root>/bin/busybox`.
 */
export function symlinkEscapesRoot(path: string, target: string): boolean {
  if (target.startsWith('/')) return false;
  const stack = path.split('/').slice(0, -1);
  for (const part of target.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (stack.length === 0) return true;
      stack.pop();
    } else stack.push(part);
  }
  return false;
}
