import { createHash } from 'node:crypto';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { tempPathFor } from '../../files/index.ts';
import { type GitOptions, runGit } from './run-git.ts';

/** Where the bare mirror of a repository URL lives: named by the URL's sha256. */
export function gitMirrorPath(gitCacheDir: string, repository: string): string {
  return join(gitCacheDir, `${createHash('sha256').update(repository).digest('hex')}.git`);
}

/** Refs a mirror keeps: branches, tags, and the remote's HEAD (not GitHub's pull refs). */
const REFSPECS = ['+refs/heads/*:refs/heads/*', '+refs/tags/*:refs/tags/*', '+HEAD:refs/kiln/remote-head'];

/**
 * Ensures a bare mirror of `repository` exists under `gitCacheDir` and, when
 * `update`, brings it up to date (pruning moved and deleted refs). A new mirror is
 * built under a temp name and renamed into place, so a failed first clone leaves
 * nothing behind. Returns its path.
 */
export async function updateGitMirror(gitCacheDir: string, repository: string, update: boolean, options: GitOptions): Promise<string> {
  const path = gitMirrorPath(gitCacheDir, repository);
  const protocols = options.allowedProtocols ?? ['https'];
  const exists = await stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (exists && !update) return path;
  const target = exists ? path : tempPathFor(path);
  if (!exists) {
    await mkdir(gitCacheDir, { recursive: true });
    await runGit(['init', '--bare', '--quiet', target], { ...options, protocols });
    await runGit(['-C', target, 'config', 'remote.origin.url', repository], { ...options, protocols });
  }
  try {
    await runGit(['-C', target, 'fetch', '--quiet', '--prune', '--no-tags', 'origin', ...REFSPECS], { ...options, protocols });
    if (!exists) await rename(target, path);
  } catch (e) {
    if (!exists) await rm(target, { recursive: true, force: true });
    throw e;
  }
  return path;
}
