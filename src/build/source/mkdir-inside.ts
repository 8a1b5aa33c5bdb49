import { lstat, mkdir } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { KilnError } from '../../errors/index.ts';
import { joinInside } from '../../files/index.ts';

/**
 * Creates `rel` under `root` one component at a time and refuses to pass through a
 * symlink or a non-directory. `mkdir -p` would follow a symlink planted by an earlier
 * step (an archive, a checkout) and write outside the workspace; this does not.
 * `root` itself is trusted (the caller made it). Returns the absolute path.
 */
export async function mkdirInside(root: string, rel: string, where: string): Promise<string> {
  let target: string;
  try {
    target = joinInside(root, rel, where);
  } catch (e) {
    throw new KilnError('PATH_UNSAFE', `${where}: ${JSON.stringify(rel)} must be a relative path inside ${root}`, { cause: e });
  }
  const parts = target.slice(root.length).split(sep).filter((p) => p !== '' && p !== '.');
  let at = root;
  for (const part of parts) {
    at = join(at, part);
    const st = await lstat(at).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return undefined;
      throw e;
    });
    if (st === undefined) {
      await mkdir(at, { mode: 0o755 });
    } else if (st.isSymbolicLink()) {
      throw new KilnError('PATH_UNSAFE', `${where}: ${at} is a symlink; refusing to write through it`);
    } else if (!st.isDirectory()) {
      throw new KilnError('PATH_UNSAFE', `${where}: ${at} exists and is not a directory`);
    }
  }
  return target;
}
