import { access } from 'node:fs/promises';
import { indexPathFor, readApkIndex, type ApkIndexEntry } from '../../apk/index.ts';
import { keyringFor, type LoadedSigningKey } from '../../build/index.ts';
import { describeError } from '../../errors/index.ts';

/** The repository's entries, or why they cannot be read (then every item fails with it). */
export type IndexRead = { readonly entries: readonly ApkIndexEntry[]; readonly error?: string };

/** Reads `<dir>/<arch>/APKINDEX.tar.gz`, verified with the stage's key; no index yet is an empty repository. */
export async function readRepositoryIndex(dir: string, arch: string, key: LoadedSigningKey): Promise<IndexRead> {
  const path = indexPathFor(dir, arch);
  if (!(await access(path).then(() => true, () => false))) return { entries: [] };
  try {
    return { entries: (await readApkIndex(path, { keys: keyringFor(key) })).entries };
  } catch (e) {
    return { entries: [], error: `${describeError(e)} (the repository ${dir} must be signed by ${key.keyName}, the key in keys.apk or the state's)` };
  }
}
