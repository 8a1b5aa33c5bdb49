import { createPublicKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, resolve } from 'node:path';
import { indexPathFor, readApkIndex, type ApkIndex, type ApkKeyring, type SolverRepository } from '../../apk/index.ts';
import { hostArch, type Arch } from '../../assemble/index.ts';
import { KilnError } from '../../errors/index.ts';
import type { CatalogImage } from '../catalog-image.ts';

/** One image's repositories as read at the start of a cycle: every architecture's verified indexes. */
export type ImageRepositories = {
  /** Sorted; the configuration's `archs`, else the host's. */
  readonly archs: readonly Arch[];
  readonly byArch: ReadonlyMap<Arch, readonly SolverRepository[]>;
  /** What was left out (remote repositories and keys, which kiln does not fetch here). */
  readonly warnings: readonly string[];
};

/**
 * Indexes already read this cycle, by path and keyring: a catalog whose images share a
 * repository (the usual case) reads and verifies each index once per cycle rather than
 * once per image, which dominated a 1,000-image cycle (bench/cycle.ts).
 */
export type IndexCache = Map<string, Promise<ApkIndex>>;

/** A repository the factory adds before every image's own: the package stage's (`packages:` in kiln.yaml). */
export type AddedRepository = {
  readonly dir: string;
  /** The public key that verifies its index, named as apk names keys. */
  readonly keyFile: string;
};

const isRemote = (s: string): boolean => /^[a-z][a-z0-9+.-]*:\/\//i.test(s);

/**
 * Reads the local repositories and keys an image's configuration names (relative to the
 * configuration file, as `kiln image build` reads them), after the `added` one, once per cycle, so that the
 * planner's resolver can stay synchronous and every image version of the image is
 * resolved against the same snapshot of the indexes.
 */
export async function readImageRepositories(image: CatalogImage, cache?: IndexCache, added?: AddedRepository): Promise<ImageRepositories> {
  const { spec, configFile } = image;
  const base = dirname(configFile);
  const warnings: string[] = [];
  // first, as `kiln image build --repo` puts its directories before the configuration's
  const dirs: { readonly dir: string; readonly tag?: string }[] = added === undefined ? [] : [{ dir: added.dir }];
  for (const r of [...spec.contents.repositories, ...spec.contents.buildRepositories]) {
    if (isRemote(r.url)) warnings.push(`repository ${r.url}: remote repositories are not fetched; list a local copy in ${configFile}`);
    else dirs.push({ dir: isAbsolute(r.url) ? r.url : resolve(base, r.url), ...(r.tag !== undefined && { tag: r.tag }) });
  }
  if (dirs.length === 0) throw new KilnError('CONFIG_INVALID', `${configFile}: contents.repositories names no local repository to build ${image.name} from`);
  const keys: Map<string, string> = new Map();
  if (added !== undefined) keys.set(basename(added.keyFile), await readPublicKey(added.keyFile, `the package repository's key`));
  for (const k of spec.contents.keyring) {
    if (isRemote(k)) {
      warnings.push(`keyring ${k}: remote keys are not fetched; list a local key in ${configFile}`);
      continue;
    }
    const path = isAbsolute(k) ? k : resolve(base, k);
    keys.set(basename(path), await readPublicKey(path, `${configFile} contents.keyring ${k}`));
  }
  if (keys.size === 0) throw new KilnError('CONFIG_INVALID', `${configFile}: contents.keyring names no local key trusted to sign the repositories`);
  const host = hostArch();
  const archs = spec.archs.length > 0 ? [...spec.archs].sort() : host !== undefined ? [host] : [];
  if (archs.length === 0) throw new KilnError('CONFIG_INVALID', `${configFile}: no architecture (archs is empty and the host's is not supported)`);
  const keyring: ApkKeyring = keys;
  // the keyring is part of the key: the same index verified against other keys may fail
  const trusted = [...keys].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).flat().join('\0');
  const read = (path: string): Promise<ApkIndex> => {
    if (cache === undefined) return readApkIndex(path, { keys: keyring });
    const key = `${path}\0${trusted}`;
    let index = cache.get(key);
    if (index === undefined) {
      index = readApkIndex(path, { keys: keyring });
      cache.set(key, index);
    }
    return index;
  };
  const byArch = new Map<Arch, SolverRepository[]>();
  for (const arch of archs) {
    byArch.set(
      arch,
      await Promise.all(
        dirs.map(async (r) => ({ url: r.dir, arch, index: await read(indexPathFor(r.dir, arch)), ...(r.tag !== undefined && { tag: r.tag }) })),
      ),
    );
  }
  return { archs, byArch, warnings };
}

async function readPublicKey(path: string, shown: string): Promise<string> {
  try {
    const pem = await readFile(path, 'utf8');
    createPublicKey(pem);
    return pem;
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new KilnError('NOT_FOUND', `key ${shown}: ${path} does not exist`, { cause });
    throw new KilnError('KEY_INVALID', `key ${shown}: expected a public key in PEM: ${(cause as Error).message}`, { cause });
  }
}
