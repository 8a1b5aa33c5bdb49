import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SANDBOX_GID, SANDBOX_UID, SANDBOX_WORKSPACE } from './sandbox-options.ts';

/**
 * /etc/passwd and /etc/group for the sandbox: the rootfs's own, plus a `build` user and group
 * for uid/gid 1000 when the rootfs has none, so that `id -un`, `whoami` and getpwuid() work.
 * Returns undefined when the rootfs has no such files (bwrap could not mount over them on a
 * read-only root).
 */
export async function sandboxIdentityFiles(rootfs: string): Promise<{ readonly passwd: string; readonly group: string } | undefined> {
  const passwd = await readOptional(join(rootfs, 'etc/passwd'));
  const group = await readOptional(join(rootfs, 'etc/group'));
  if (passwd === undefined || group === undefined) return undefined;
  return {
    passwd: withEntry(passwd, 2, String(SANDBOX_UID), `build:x:${SANDBOX_UID}:${SANDBOX_GID}:kiln build:${SANDBOX_WORKSPACE}:/bin/sh`),
    group: withEntry(group, 2, String(SANDBOX_GID), `build:x:${SANDBOX_GID}:`),
  };
}

function withEntry(file: string, idField: number, id: string, entry: string): string {
  const lines = file.split('\n').filter((l) => l !== '');
  if (lines.some((l) => l.split(':')[idField] === id)) return `${lines.join('\n')}\n`;
  return `${[...lines, entry].join('\n')}\n`;
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}
