import { createPublicKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, resolve } from 'node:path';
import type { ApkKeyring } from '../../apk/index.ts';
import { KilnError } from '../../errors/index.ts';
import type { ImageSpec } from '../image-spec.ts';
import type { LocalRepository } from './build-rootfs.ts';

export type ImageInputs = {
  readonly repositories: readonly LocalRepository[];
  readonly keys: ApkKeyring;
  /** What was left out and why (remote repositories and keys, which kiln does not fetch here). */
  readonly warnings: readonly string[];
};

const isRemote = (s: string): boolean => /^[a-z][a-z0-9+.-]*:\/\//i.test(s);

/**
 * The repositories and keys of a build: the `--repo` directories first, then the
 * configuration's local `repositories`/`build_repositories` (relative to the
 * configuration file, tags kept); keys from `--keyring` files and the configuration's
 * local `keyring` entries, each under its file name (as /etc/apk/keys holds them).
 * Remote entries are skipped with a warning: kiln builds from local repositories.
 */
export async function resolveImageInputs(spec: ImageSpec, configFile: string, flags: { readonly repos: readonly string[]; readonly keyrings: readonly string[] }): Promise<ImageInputs> {
  const base = dirname(configFile);
  const warnings: string[] = [];
  const repositories: LocalRepository[] = flags.repos.map((d) => ({ dir: resolve(d) }));
  for (const r of [...spec.contents.repositories, ...spec.contents.buildRepositories]) {
    if (isRemote(r.url)) {
      warnings.push(`repository ${r.url}: remote repositories are not fetched; pass a local copy with --repo`);
      continue;
    }
    repositories.push({ dir: isAbsolute(r.url) ? r.url : resolve(base, r.url), ...(r.tag !== undefined && { tag: r.tag }) });
  }
  if (repositories.length === 0) throw new KilnError('USAGE', `${configFile}: no local repository to build from; pass --repo DIR (a directory with <arch>/APKINDEX.tar.gz)`);

  const keys = new Map<string, string>();
  const files = flags.keyrings.map((k) => ({ path: resolve(k), shown: k }));
  for (const k of spec.contents.keyring) {
    if (isRemote(k)) warnings.push(`keyring ${k}: remote keys are not fetched; pass the key with --keyring FILE`);
    else files.push({ path: isAbsolute(k) ? k : resolve(base, k), shown: `${configFile} contents.keyring ${k}` });
  }
  for (const f of files) {
    let pem: string;
    try {
      pem = await readFile(f.path, 'utf8');
      createPublicKey(pem);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw new KilnError('NOT_FOUND', `key ${f.shown}: ${f.path} does not exist`, { cause: e });
      throw new KilnError('KEY_INVALID', `key ${f.shown}: expected a public key in PEM: ${(e as Error).message}`, { cause: e });
    }
    const name = basename(f.path);
    const before = keys.get(name);
    if (before !== undefined && before !== pem) throw new KilnError('KEY_INVALID', `key ${f.shown}: another key has the same file name ${name}`);
    keys.set(name, pem);
  }
  if (keys.size === 0) throw new KilnError('USAGE', `${configFile}: no trusted key; pass --keyring FILE (the public key that signed the repository) or list it in contents.keyring`);
  return { repositories, keys, warnings };
}
