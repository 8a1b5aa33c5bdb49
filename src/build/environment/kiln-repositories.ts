import { createPublicKey } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { basename, isAbsolute, resolve } from 'node:path';
import { indexPathFor, readApkIndex, type ApkKeyring, type SolverRepository } from '../../apk/index.ts';
import { KilnError } from '../../errors/index.ts';

/** A local APK repository an environment may take packages from: `<dir>/<arch>/APKINDEX.tar.gz`. */
export type KilnRepository = {
  readonly dir: string;
  /** A tagged repository serves `name@tag` requests only (and their dependencies), as apk does. */
  readonly tag?: string;
  /** The build's own output repository, which does not exist before its first build: skipped while it has no index. */
  readonly optional?: boolean;
};

/** kiln's repositories for an environment, with the keys every index and package must be signed by. */
export type KilnRepositories = {
  readonly repositories: readonly KilnRepository[];
  readonly keys: ApkKeyring;
  /** Entries left out and why (remote repositories and keys, which kiln does not fetch). */
  readonly warnings: readonly string[];
};

export type KilnRepositoriesInput = {
  /** `environment.contents.repositories` and `build_repositories` as written: `DIR` or `@tag DIR`. */
  readonly repositories: readonly string[];
  /** `environment.contents.keyring`: public key files. */
  readonly keyring: readonly string[];
  /** Where relative entries are resolved from (the recipe's directory). */
  readonly baseDir: string;
  /** Shown in messages, e.g. `hello.yaml environment.contents`. */
  readonly where: string;
  /** Repositories given on the command line (`--repo`), searched first, with their keys (name → PEM). */
  readonly extra?: readonly KilnRepository[];
  readonly extraKeys?: ApkKeyring;
};

const isRemote = (s: string): boolean => /^[a-z][a-z0-9+.-]*:\/\//i.test(s);
const TAGGED = /^@([A-Za-z0-9._-]+)\s+(\S.*)$/;

/**
 * The repositories and keys a recipe's environment names (melange style: `repositories`
 * entries are directories, optionally `@tag DIR`; `keyring` entries are public key files,
 * each trusted under its file name as /etc/apk/keys holds them), after the command line's
 * own. Remote entries are left out with a warning: environments are built from local
 * repositories only, so a build never reaches the network for its packages.
 */
export async function kilnRepositoriesFor(input: KilnRepositoriesInput): Promise<KilnRepositories> {
  const warnings: string[] = [];
  const repositories: KilnRepository[] = [...(input.extra ?? [])];
  for (const raw of input.repositories) {
    const text = raw.trim();
    const m = TAGGED.exec(text);
    const dir = m ? (m[2] ?? '').trim() : text;
    if (isRemote(dir)) {
      warnings.push(`${input.where}: repository ${text}: remote repositories are not fetched; environments use local ones`);
      continue;
    }
    if (dir === '' || dir.startsWith('@')) throw new KilnError('INPUT_INVALID', `${input.where}: repository ${JSON.stringify(raw)}: expected a directory or "@tag DIR"`);
    repositories.push({ dir: isAbsolute(dir) ? dir : resolve(input.baseDir, dir), ...(m?.[1] !== undefined && { tag: m[1] }) });
  }
  const keys = new Map<string, string>(input.extraKeys ?? []);
  for (const k of input.keyring) {
    if (isRemote(k)) {
      warnings.push(`${input.where}: keyring ${k}: remote keys are not fetched; list a local key file`);
      continue;
    }
    const path = isAbsolute(k) ? k : resolve(input.baseDir, k);
    let pem: string;
    try {
      pem = await readFile(path, 'utf8');
      createPublicKey(pem);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'NOT_FOUND' : 'KEY_INVALID';
      throw new KilnError(code, `${input.where}: keyring ${k}: expected a public key in PEM at ${path}: ${(e as Error).message}`, { cause: e });
    }
    const name = basename(path);
    const before = keys.get(name);
    if (before !== undefined && before.trim() !== pem.trim()) throw new KilnError('KEY_INVALID', `${input.where}: keyring ${k}: another key has the same file name ${name}`);
    keys.set(name, pem);
  }
  return { repositories: dedupe(repositories), keys, warnings };
}

/**
 * Reads each repository's index for `arch`, verified against the keys (SIGNATURE_INVALID,
 * INDEX_INVALID otherwise), in the given order. An optional repository without an index
 * is skipped; any other missing index is NOT_FOUND.
 */
export async function readKilnRepositories(kiln: KilnRepositories, arch: string): Promise<SolverRepository[]> {
  const out: SolverRepository[] = [];
  for (const r of kiln.repositories) {
    const path = indexPathFor(r.dir, arch);
    if (r.optional && !(await stat(path).catch(() => undefined))) continue;
    if (kiln.keys.size === 0) {
      throw new KilnError('KEY_INVALID', `repository ${r.dir}: no trusted key to verify its index with (list one in environment.contents.keyring)`);
    }
    const index = await readApkIndex(path, { keys: kiln.keys });
    out.push({ url: r.dir, arch, index, ...(r.tag !== undefined && { tag: r.tag }) });
  }
  return out;
}

/** The same directory with the same tag once, at its first place. */
function dedupe(repositories: readonly KilnRepository[]): KilnRepository[] {
  const seen = new Map<string, KilnRepository>();
  for (const r of repositories) {
    const key = `${r.tag ?? ''}\0${resolve(r.dir)}`;
    const before = seen.get(key);
    // listed by the recipe too: then it is not optional any more
    if (before === undefined) seen.set(key, { ...r, dir: resolve(r.dir) });
    else if (before.optional && !r.optional) seen.set(key, { ...before, optional: false });
  }
  return [...seen.values()];
}
